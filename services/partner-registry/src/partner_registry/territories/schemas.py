"""Conversions of territories to their contract bodies (the bodies live in `prm_contracts.territories`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prm_contracts.territories import TerritoryOut

from partner_registry.territories.overlap import TerritoryScope

if TYPE_CHECKING:
    from partner_registry.territories.models import Territory


def scope_of(territory: Any) -> TerritoryScope:
    """The scope of a territory: an entity or a row with its columns."""
    return TerritoryScope(
        country=territory.country,
        region=territory.region,
        segment=territory.segment,
        exclusive=territory.exclusive,
    )


def scope_key(scope: TerritoryScope) -> str:
    """`DE|bavaria|*`: one spelling per scope, NULLs as `*`, for the one-scope-per-partner constraint."""
    return f"{scope.country}|{scope.region_key or '*'}|{scope.segment or '*'}"


def _territory_fields(
    territory: Any, conflicting: Sequence[UUID], *, disclose_conflicts: bool
) -> dict[str, Any]:
    """TerritoryOut's fields of an entity or a row with its columns."""
    return {
        "id": territory.id,
        "partner_id": territory.partner_id,
        "country": territory.country,
        "region": territory.region,
        "segment": territory.segment,
        "exclusive": territory.exclusive,
        "conflict_count": len(conflicting),
        "conflicting_territory_ids": sorted(conflicting, key=str) if disclose_conflicts else None,
        "version": territory.version,
        "created_at": territory.created_at,
        "updated_at": territory.updated_at,
    }


def territory_out(
    territory: Territory, conflicting: Sequence[UUID], *, disclose_conflicts: bool
) -> TerritoryOut:
    return TerritoryOut.model_validate(
        _territory_fields(territory, conflicting, disclose_conflicts=disclose_conflicts)
    )


def territory_item(row: Any, *, disclose_conflicts: bool) -> dict[str, Any]:
    """TerritoryOut's fields of a list row (`repository.territory_page`), validated with the page."""
    conflicting = [
        UUID(territory_id)
        for (territory_id,) in (row.conflicts_found_here or []) + (row.conflicts_found_there or [])
    ]
    return _territory_fields(row, conflicting, disclose_conflicts=disclose_conflicts)


def territory_conflict_item(conflict: Any) -> dict[str, Any]:
    """TerritoryConflictOut's fields of a stored conflict (an entity or a row with its columns)."""
    exclusive = [
        territory_id
        for territory_id, is_exclusive in (
            (conflict.territory_id, conflict.territory_exclusive),
            (conflict.other_territory_id, conflict.other_exclusive),
        )
        if is_exclusive
    ]
    return {
        "id": conflict.id,
        "territory_id": conflict.territory_id,
        "partner_id": conflict.partner_id,
        "other_territory_id": conflict.other_territory_id,
        "other_partner_id": conflict.other_partner_id,
        "country": conflict.country,
        "region": conflict.region,
        "segment": conflict.segment,
        "exclusive_territory_ids": exclusive,
        "detected_at": conflict.detected_at,
    }

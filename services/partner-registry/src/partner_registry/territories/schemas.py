"""Conversions of territories to their contract bodies (the bodies live in `prm_contracts.territories`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from prm_contracts.partners import CustomerSegment
from prm_contracts.territories import TerritoryConflictOut, TerritoryOut

from partner_registry.territories.overlap import TerritoryScope

if TYPE_CHECKING:
    from partner_registry.territories.models import Territory, TerritoryConflict


def scope_of(territory: Territory) -> TerritoryScope:
    return TerritoryScope(
        country=territory.country,
        region=territory.region,
        segment=territory.segment,
        exclusive=territory.exclusive,
    )


def scope_key(scope: TerritoryScope) -> str:
    """`DE|bavaria|*`: one spelling per scope, NULLs as `*`, for the one-scope-per-partner constraint."""
    return f"{scope.country}|{scope.region_key or '*'}|{scope.segment or '*'}"


def territory_out(
    territory: Territory, conflicting: Sequence[UUID], *, disclose_conflicts: bool
) -> TerritoryOut:
    return TerritoryOut(
        id=territory.id,
        partner_id=territory.partner_id,
        country=territory.country,
        region=territory.region,
        segment=CustomerSegment(territory.segment) if territory.segment else None,
        exclusive=territory.exclusive,
        conflict_count=len(conflicting),
        conflicting_territory_ids=sorted(conflicting, key=str) if disclose_conflicts else None,
        version=territory.version,
        created_at=territory.created_at,
        updated_at=territory.updated_at,
    )


def territory_conflict_out(conflict: TerritoryConflict) -> TerritoryConflictOut:
    exclusive = [
        territory_id
        for territory_id, is_exclusive in (
            (conflict.territory_id, conflict.territory_exclusive),
            (conflict.other_territory_id, conflict.other_exclusive),
        )
        if is_exclusive
    ]
    return TerritoryConflictOut(
        id=conflict.id,
        territory_id=conflict.territory_id,
        partner_id=conflict.partner_id,
        other_territory_id=conflict.other_territory_id,
        other_partner_id=conflict.other_partner_id,
        country=conflict.country,
        region=conflict.region,
        segment=CustomerSegment(conflict.segment) if conflict.segment else None,
        exclusive_territory_ids=exclusive,
        detected_at=conflict.detected_at,
    )

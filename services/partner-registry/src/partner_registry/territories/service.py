"""Territories of a partner: assigned by the vendor's channel team, stored and flagged when they conflict.

An overlap with another partner's territory where one of the two is exclusive does not refuse the
assignment: the territory is stored, its conflicts are recorded (and recomputed whenever either territory
changes or is removed) and listed at `GET /v1/territories/conflicts`, because territories are often
re-cut in steps and the channel team wants to see the overlap rather than be blocked by it. Every change
is kept in the partner's history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, Forbidden, UnprocessableContent
from prm_contracts.territories import TerritoryConflictOut, TerritoryIn, TerritoryOut, TerritoryPatch
from prm_kit.db import bump_version
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.partner_records import PartnerRecords, removed_values
from partner_registry.partners.changes import field_changes, initial_values
from partner_registry.partners.models import HistoryKind
from partner_registry.partners.service import ensure_not_terminated, record_change, visible_partner
from partner_registry.territories import repository
from partner_registry.territories.models import Territory, TerritoryConflict
from partner_registry.territories.overlap import TerritoryScope, in_conflict, region_key, shared_scope
from partner_registry.territories.schemas import (
    scope_key,
    scope_of,
    territory_conflict_item,
    territory_item,
    territory_out,
)

# Conflicting territories' ids change without the territory changing, and a partner's own credential sees
# fewer of them: one version has several representations, so its entity tags are weak (prm_kit.etag).
WEAK_ETAGS = True
TERRITORIES = PartnerRecords(repository.territory_of, noun="territory", weak_etags=WEAK_ETAGS)
ORDER = "created_at"
CONFLICT_ORDER = "-detected_at"
TERRITORY_PAGE = Page[TerritoryOut]
TERRITORY_CONFLICT_PAGE = Page[TerritoryConflictOut]


class TerritoryExists(Conflict):
    slug, title = "territory-exists", "Partner already has this territory"


def _ensure_vendor(actor: Principal) -> None:
    if actor.partner_id is not None:
        raise Forbidden(
            "territories are assigned by the vendor; a partner's own credential cannot change them"
        )


def _values(territory: Territory) -> dict[str, Any]:
    return {
        "country": territory.country,
        "region": territory.region,
        "segment": territory.segment,
        "exclusive": territory.exclusive,
    }


async def view(session: AsyncSession, territory: Territory, *, viewer: Principal) -> TerritoryOut:
    """The territory as `viewer` may see it: a partner's own credential learns how many conflicts, not whose."""
    conflicting = await repository.conflicting_ids(session, [territory.id])
    return territory_out(
        territory, conflicting.get(territory.id, []), disclose_conflicts=viewer.partner_id is None
    )


async def list_territories(
    session: AsyncSession, partner_id: UUID, *, viewer: Principal, limit: int, cursor: str | None
) -> Page[TerritoryOut]:
    viewer.partner_scope(partner_id)
    try:
        after = keyset_position(cursor, ORDER, datetime)
    except UnprocessableContent:
        await visible_partner(session, partner_id, viewer=viewer)  # an unknown partner is 404 first
        raise
    rows = await repository.territory_page(session, partner_id, after=after, limit=limit + 1)
    if not rows:
        # a partner's territories are its own (a foreign key): only an empty page needs the partner looked up
        await visible_partner(session, partner_id, viewer=viewer)
    disclose = viewer.partner_id is None
    page = page_of(
        rows,
        limit,
        out=lambda row: territory_item(row, disclose_conflicts=disclose),
        cursor_of=lambda row: keyset_cursor(ORDER, row.created_at, row.id),
    )
    return TERRITORY_PAGE.model_validate(page, from_attributes=True)  # the items, validated once


async def visible_territory(
    session: AsyncSession, partner_id: UUID, territory_id: UUID, *, viewer: Principal
) -> Territory:
    return await TERRITORIES.visible(session, partner_id, territory_id, viewer=viewer)


async def _ensure_scope_free(session: AsyncSession, territory: Territory) -> None:
    holder = await repository.scope_holder(
        session, territory.partner_id, territory.scope_key, other_than=territory.id
    )
    if holder is not None:
        raise TerritoryExists(
            f"territory {holder} of partner {territory.partner_id} already covers exactly this country, "
            "region and segment",
            existing_territory_id=str(holder),
        )


async def _record_conflicts(session: AsyncSession, territory: Territory, now: datetime) -> None:
    """Recompute the conflicts `territory` is part of."""
    mine = scope_of(territory)
    found = []
    for other in await repository.conflicting_territories(session, territory):
        theirs = scope_of(other)
        if not in_conflict(mine, theirs):  # the query narrowed; the rule decides
            continue
        where = shared_scope(mine, theirs)
        found.append(
            TerritoryConflict(
                id=uuid4(),
                territory_id=territory.id,
                partner_id=territory.partner_id,
                other_territory_id=other.id,
                other_partner_id=other.partner_id,
                country=where.country,
                region=where.region,
                segment=where.segment,
                territory_exclusive=territory.exclusive,
                other_exclusive=other.exclusive,
                detected_at=now,
            )
        )
    await repository.replace_conflicts(session, territory.id, found)


def _scope(country: str, region: str | None, segment: str | None, exclusive: bool) -> TerritoryScope:
    return TerritoryScope(country=country, region=region, segment=segment, exclusive=exclusive)


async def add_territory(
    session: AsyncSession, partner_id: UUID, body: TerritoryIn, *, actor: Principal, now: datetime
) -> Territory:
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    _ensure_vendor(actor)
    ensure_not_terminated(partner)
    segment = body.segment.value if body.segment else None
    territory = Territory(
        id=uuid4(),
        partner_id=partner_id,
        country=body.country,
        region=body.region,
        region_key=region_key(body.region),
        segment=segment,
        exclusive=body.exclusive,
        scope_key=scope_key(_scope(body.country, body.region, segment, body.exclusive)),
        version=1,
        created_at=now,
        updated_at=now,
    )
    await _ensure_scope_free(session, territory)
    await repository.add_territory(session, territory)
    await _record_conflicts(session, territory, now)
    await record_change(
        session,
        partner,
        HistoryKind.TERRITORY_ADDED,
        actor=actor,
        at=now,
        changes=initial_values(_values(territory)),
        territory_id=territory.id,
    )
    return territory


async def update_territory(
    session: AsyncSession,
    partner_id: UUID,
    territory_id: UUID,
    patch: TerritoryPatch,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Territory:
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    _ensure_vendor(actor)
    territory = await TERRITORIES.to_change(
        session, partner_id, territory_id, if_match=if_match, required=True
    )
    ensure_not_terminated(partner)
    before = _values(territory)
    after = {**before, **patch.model_dump(mode="json", exclude_unset=True)}
    changes = field_changes(before, after)
    if not changes:
        return territory
    territory.country = after["country"]
    territory.region = after["region"]
    territory.region_key = region_key(territory.region)
    territory.segment = after["segment"]
    territory.exclusive = after["exclusive"]
    territory.scope_key = scope_key(scope_of(territory))
    await _ensure_scope_free(session, territory)
    await bump_version(session, territory, at=now)
    await _record_conflicts(session, territory, now)
    await record_change(
        session,
        partner,
        HistoryKind.TERRITORY_UPDATED,
        actor=actor,
        at=now,
        changes=changes,
        territory_id=territory.id,
    )
    return territory


async def remove_territory(
    session: AsyncSession,
    partner_id: UUID,
    territory_id: UUID,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> None:
    """Remove a territory and the conflicts it was part of (allowed on a terminated partner too)."""
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    _ensure_vendor(actor)
    territory = await TERRITORIES.to_change(
        session, partner_id, territory_id, if_match=if_match, required=False
    )
    before = _values(territory)
    await repository.replace_conflicts(session, territory.id, [])
    await repository.remove_territory(session, territory)
    await record_change(
        session,
        partner,
        HistoryKind.TERRITORY_REMOVED,
        actor=actor,
        at=now,
        changes=removed_values(before),
        territory_id=territory_id,
    )


async def list_conflicts(
    session: AsyncSession,
    *,
    viewer: Principal,
    partner_id: UUID | None,
    country: str | None,
    limit: int,
    cursor: str | None,
) -> Page[TerritoryConflictOut]:
    """Territory conflicts, newest first. For the vendor's channel team: they name other partners."""
    if viewer.partner_id is not None:
        raise Forbidden(
            "territory conflicts name other partners; a partner's own credential cannot list them"
        )
    after = keyset_position(cursor, CONFLICT_ORDER, datetime)
    conflicts = await repository.conflict_page(
        session, partner_id=partner_id, country=country, after=after, limit=limit + 1
    )
    page = page_of(
        conflicts,
        limit,
        out=territory_conflict_item,
        cursor_of=lambda row: keyset_cursor(CONFLICT_ORDER, row.detected_at, row.id),
    )
    return TERRITORY_CONFLICT_PAGE.model_validate(page, from_attributes=True)  # the items, validated once

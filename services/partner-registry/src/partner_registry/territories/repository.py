"""Every query of the territories domain."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.partners import PartnerStatus
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.partners.models import Partner
from partner_registry.territories.models import Territory, TerritoryConflict


async def territory_of(session: AsyncSession, partner_id: UUID, territory_id: UUID) -> Territory | None:
    territory: Territory | None = await session.scalar(
        sa.select(Territory)
        .where(Territory.id == territory_id, Territory.partner_id == partner_id)
        .execution_options(populate_existing=True)
    )
    return territory


async def territory_page(
    session: AsyncSession, partner_id: UUID, *, after: KeysetPosition[datetime] | None, limit: int
) -> list[Territory]:
    """A partner's territories in the order they were assigned."""
    statement = (
        sa.select(Territory)
        .where(
            Territory.partner_id == partner_id,
            keyset_after(Territory.created_at, Territory.id, after, descending=False),
        )
        .order_by(*keyset_order(Territory.created_at, Territory.id, descending=False))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def scope_holder(
    session: AsyncSession, partner_id: UUID, scope_key: str, *, other_than: UUID | None
) -> UUID | None:
    """The partner's territory with this scope, if it has one (other than `other_than`)."""
    statement = sa.select(Territory.id).where(
        Territory.partner_id == partner_id, Territory.scope_key == scope_key
    )
    if other_than is not None:
        statement = statement.where(Territory.id != other_than)
    holder: UUID | None = await session.scalar(statement)
    return holder


async def add_territory(session: AsyncSession, territory: Territory) -> None:
    session.add(territory)
    await session.flush()


async def remove_territory(session: AsyncSession, territory: Territory) -> None:
    await session.delete(territory)
    await session.flush()


def _overlapping(country: str, region_key: str | None, segment: str | None) -> list[sa.ColumnElement[bool]]:
    """Conditions on `Territory` for scopes overlapping this one (see overlap.overlaps)."""
    conditions: list[sa.ColumnElement[bool]] = [Territory.country == country]
    if region_key is not None:
        conditions.append(sa.or_(Territory.region_key.is_(None), Territory.region_key == region_key))
    if segment is not None:
        conditions.append(sa.or_(Territory.segment.is_(None), Territory.segment == segment))
    return conditions


async def conflicting_territories(session: AsyncSession, territory: Territory) -> list[Territory]:
    """Other partners' territories that overlap `territory` where one of the two is exclusive."""
    statement = sa.select(Territory).where(
        Territory.partner_id != territory.partner_id,
        *_overlapping(territory.country, territory.region_key, territory.segment),
    )
    if not territory.exclusive:
        statement = statement.where(Territory.exclusive.is_(True))
    return list((await session.scalars(statement.order_by(Territory.created_at, Territory.id))).all())


async def replace_conflicts(
    session: AsyncSession, territory_id: UUID, conflicts: Sequence[TerritoryConflict]
) -> None:
    """Forget every conflict `territory_id` is part of, then store `conflicts` (found from its side)."""
    await session.execute(
        sa.delete(TerritoryConflict).where(
            sa.or_(
                TerritoryConflict.territory_id == territory_id,
                TerritoryConflict.other_territory_id == territory_id,
            )
        )
    )
    session.add_all(conflicts)
    await session.flush()


async def conflicting_ids(session: AsyncSession, territory_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
    """For each territory, the territories it is in conflict with (from either side of the stored pair)."""
    found: dict[UUID, list[UUID]] = defaultdict(list)
    if not territory_ids:
        return found
    rows = await session.execute(
        sa.select(TerritoryConflict.territory_id, TerritoryConflict.other_territory_id).where(
            sa.or_(
                TerritoryConflict.territory_id.in_(territory_ids),
                TerritoryConflict.other_territory_id.in_(territory_ids),
            )
        )
    )
    wanted = set(territory_ids)
    for first, second in rows.all():
        if first in wanted:
            found[first].append(second)
        if second in wanted:
            found[second].append(first)
    return found


async def conflict_page(
    session: AsyncSession,
    *,
    partner_id: UUID | None,
    country: str | None,
    after: KeysetPosition[datetime] | None,
    limit: int,
) -> list[TerritoryConflict]:
    """Territory conflicts, newest first; `partner_id` matches either side."""
    statement = sa.select(TerritoryConflict)
    if partner_id is not None:
        statement = statement.where(
            sa.or_(
                TerritoryConflict.partner_id == partner_id, TerritoryConflict.other_partner_id == partner_id
            )
        )
    if country is not None:
        statement = statement.where(TerritoryConflict.country == country)
    statement = statement.where(
        keyset_after(TerritoryConflict.detected_at, TerritoryConflict.id, after, descending=True)
    ).order_by(*keyset_order(TerritoryConflict.detected_at, TerritoryConflict.id, descending=True))
    return list((await session.scalars(statement.limit(limit))).all())


async def exclusive_territories_covering(
    session: AsyncSession, *, country: str, region_key: str | None, segment: str | None, not_of: UUID
) -> list[Territory]:
    """Exclusive territories of partners other than `not_of` (and not terminated) that a customer in
    `country`/`region` of `segment` lies inside (see overlap.covers): country-wide ones, the customer's
    region's, and, when the segment is known, only those for all segments or that segment."""
    conditions: list[sa.ColumnElement[bool]] = [
        Territory.country == country,
        Territory.exclusive.is_(True),
        Territory.partner_id != not_of,
        Territory.region_key.is_(None)
        if region_key is None
        else sa.or_(Territory.region_key.is_(None), Territory.region_key == region_key),
    ]
    if segment is not None:
        conditions.append(sa.or_(Territory.segment.is_(None), Territory.segment == segment))
    statement = (
        sa.select(Territory)
        .join(Partner, Partner.id == Territory.partner_id)
        .where(*conditions, Partner.status != PartnerStatus.TERMINATED.value)
        .order_by(Territory.created_at, Territory.id)
    )
    return list((await session.scalars(statement)).all())

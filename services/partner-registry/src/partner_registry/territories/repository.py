"""Every query of the territories domain."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.partners import PartnerStatus
from prm_kit.db.core import core_rows
from prm_kit.db.listing import (
    AnySelect,
    bound_values,
    cached_statement,
    json_rows,
    keyset_page,
    page_parameters,
)
from prm_kit.pagination import KeysetPosition, keyset_order
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


def _page_statement(after: bool, dialect: str) -> AnySelect:
    """A partner's page of territories (limited in a subquery), each with the territories it conflicts with
    as JSON rows `[territory_id]`: those found from its side and those found from the other's."""
    t = Territory
    conditions = [t.partner_id == sa.bindparam("partner_id", type_=t.partner_id.type)]
    page = keyset_page(
        sa.select(t.__table__).where(*conditions), t.created_at, t.id, after=after, descending=False
    ).subquery("page")
    c = TerritoryConflict
    found_here = (
        sa.select(json_rows(dialect, c.other_territory_id))
        .where(c.territory_id == page.c.id)
        .scalar_subquery()
    )
    found_there = (
        sa.select(json_rows(dialect, c.territory_id))
        .where(c.other_territory_id == page.c.id)
        .scalar_subquery()
    )
    return sa.select(
        page, found_here.label("conflicts_found_here"), found_there.label("conflicts_found_there")
    ).order_by(*keyset_order(page.c.created_at, page.c.id, descending=False))


async def territory_page(
    session: AsyncSession, partner_id: UUID, *, after: KeysetPosition[datetime] | None, limit: int
) -> Sequence[sa.Row[Any]]:
    """A partner's territories in the order they were assigned: rows of their columns and of the
    territories each conflicts with (JSON rows, see `_page_statement`), in one statement."""
    dialect = session.get_bind().dialect.name
    statement = cached_statement(
        ("territory_page", after is not None, dialect), lambda: _page_statement(after is not None, dialect)
    )
    parameters = {"partner_id": partner_id} | page_parameters(after, limit)
    return await core_rows(session, statement, parameters)


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


def _conflict_statement(partner: bool, country: bool, after: bool) -> AnySelect:
    c = TerritoryConflict
    conditions: list[sa.ColumnElement[bool]] = []
    if partner:
        partner_id = sa.bindparam("partner_id", type_=c.partner_id.type)
        conditions.append(sa.or_(c.partner_id == partner_id, c.other_partner_id == partner_id))
    if country:
        conditions.append(c.country == sa.bindparam("country", type_=c.country.type))
    return keyset_page(
        sa.select(c.__table__).where(*conditions), c.detected_at, c.id, after=after, descending=True
    )


async def conflict_page(
    session: AsyncSession,
    *,
    partner_id: UUID | None,
    country: str | None,
    after: KeysetPosition[datetime] | None,
    limit: int,
) -> Sequence[sa.Row[Any]]:
    """Territory conflicts, newest first; `partner_id` matches either side: rows of their columns."""
    statement = cached_statement(
        ("territory_conflict_page", partner_id is not None, country is not None, after is not None),
        lambda: _conflict_statement(partner_id is not None, country is not None, after is not None),
    )
    parameters = {"partner_id": partner_id, "country": country}
    given = bound_values(parameters)
    return await core_rows(session, statement, given | page_parameters(after, limit))


def _covering_statement(region: bool, segment: bool) -> AnySelect:
    t = Territory
    region_key = sa.bindparam("region_key", type_=t.region_key.type)
    conditions: list[sa.ColumnElement[bool]] = [
        t.country == sa.bindparam("country", type_=t.country.type),
        t.exclusive.is_(True),
        t.partner_id != sa.bindparam("not_of", type_=t.partner_id.type),
        sa.or_(t.region_key.is_(None), t.region_key == region_key) if region else t.region_key.is_(None),
    ]
    if segment:
        conditions.append(
            sa.or_(t.segment.is_(None), t.segment == sa.bindparam("segment", type_=t.segment.type))
        )
    return (
        sa.select(t.id, t.partner_id, t.country, t.region, t.segment, t.exclusive)
        .join(Partner, Partner.id == t.partner_id)
        .where(*conditions, Partner.status != PartnerStatus.TERMINATED.value)
        .order_by(t.created_at, t.id)
    )


async def exclusive_territories_covering(
    session: AsyncSession, *, country: str, region_key: str | None, segment: str | None, not_of: UUID
) -> Sequence[sa.Row[Any]]:
    """Exclusive territories of partners other than `not_of` (and not terminated) that a customer in
    `country`/`region` of `segment` lies inside (see overlap.covers): country-wide ones, the customer's
    region's, and, when the segment is known, only those for all segments or that segment. Rows of what the
    matcher needs (`schemas.scope_of` reads them)."""
    statement = cached_statement(
        ("exclusive_territories_covering", region_key is not None, segment is not None),
        lambda: _covering_statement(region_key is not None, segment is not None),
    )
    parameters = {"country": country, "not_of": not_of, "region_key": region_key, "segment": segment}
    given = bound_values(parameters)
    return await core_rows(session, statement, given)

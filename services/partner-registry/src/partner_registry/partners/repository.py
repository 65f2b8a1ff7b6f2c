"""Every query of the partners domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from partner_registry.agreements.models import Agreement, current_on
from partner_registry.partners.models import HistoryKind, Partner, PartnerHistoryEntry, PartnerSpecialisation
from partner_registry.partners.schemas import PartnerFilters, PartnerSort


async def partner_by_id(
    session: AsyncSession, partner_id: UUID, *, for_update: bool = False
) -> Partner | None:
    """The partner with its specialisations (joined: one round trip); `for_update` locks its row (not the
    specialisations') until the transaction ends."""
    statement = (
        sa.select(Partner)
        .where(Partner.id == partner_id)
        .options(joinedload(Partner.specialisations))
        .execution_options(populate_existing=True)
    )
    if for_update:
        statement = statement.with_for_update(of=Partner)
    partner: Partner | None = (await session.scalars(statement)).unique().one_or_none()
    return partner


async def partner_exists(session: AsyncSession, partner_id: UUID) -> bool:
    return (await session.scalar(sa.select(Partner.id).where(Partner.id == partner_id))) is not None


async def registration_holder(
    session: AsyncSession, country: str, key: str, *, other_than: UUID | None = None
) -> UUID | None:
    """The partner registered in `country` under the registration number key `key`, if any."""
    statement = sa.select(Partner.id).where(
        Partner.country == country, Partner.registration_number_key == key
    )
    if other_than is not None:
        statement = statement.where(Partner.id != other_than)
    holder: UUID | None = await session.scalar(statement)
    return holder


async def add_partner(session: AsyncSession, partner: Partner) -> None:
    session.add(partner)
    await session.flush()


def _sort_key(sort: PartnerSort) -> tuple[sa.ColumnElement[Any], bool]:
    """The SQL expression a sort orders by (the indexed one), and whether it is descending."""
    name = sort.value.removeprefix("-")
    expression: Any = {
        "display_name": sa.func.lower(Partner.display_name),
        "legal_name": sa.func.lower(Partner.legal_name),
        "created_at": Partner.created_at,
    }[name]
    return expression, sort.value.startswith("-")


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _name_contains(text: str) -> sa.ColumnElement[bool]:
    # lower(...) LIKE '%…%': the trigram GIN indexes serve this on PostgreSQL; SQLite scans
    pattern = _like_pattern(text)
    return sa.or_(
        sa.func.lower(Partner.display_name).like(pattern, escape="\\"),
        sa.func.lower(Partner.legal_name).like(pattern, escape="\\"),
    )


def _has_specialisation(value_keys: list[str]) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        PartnerSpecialisation.partner_id == Partner.id, PartnerSpecialisation.value_key.in_(value_keys)
    )


def _current_agreement(wanted: bool, today: date) -> sa.ColumnElement[bool]:
    current = sa.exists().where(Agreement.partner_id == Partner.id, current_on(today))
    return current if wanted else ~current


def _any_of_conditions(filters: PartnerFilters) -> list[sa.ColumnElement[bool]]:
    """The filters that match any of a list of values (an empty list does not filter)."""
    listed: list[tuple[Any, list[str]]] = [
        (Partner.partner_type, [t.value for t in filters.partner_types]),
        (Partner.status, [s.value for s in filters.statuses]),
        (Partner.tier, filters.tiers),
        (Partner.country, filters.countries),
        (Partner.region, filters.regions),
    ]
    return [column.in_(values) for column, values in listed if values]


def _exact_conditions(filters: PartnerFilters) -> list[sa.ColumnElement[bool]]:
    """The filters that match one normalised value."""
    exact: list[tuple[Any, str | None]] = [
        (Partner.registration_number_key, filters.registration_number_key),
        (Partner.website_domain, filters.website_domain),
    ]
    return [column == value for column, value in exact if value is not None]


def _filter_conditions(filters: PartnerFilters, only_partner_id: UUID | None) -> list[sa.ColumnElement[bool]]:
    """Every condition the filters (and a partner's own credential) set on the list."""
    conditions = _any_of_conditions(filters) + _exact_conditions(filters)
    if only_partner_id is not None:
        conditions.append(Partner.id == only_partner_id)
    if filters.specialisations:
        conditions.append(_has_specialisation(filters.specialisations))
    if filters.has_current_agreement is not None and filters.today is not None:
        conditions.append(_current_agreement(filters.has_current_agreement, filters.today))
    if filters.name_contains:
        conditions.append(_name_contains(filters.name_contains))
    return conditions


async def partner_page(
    session: AsyncSession,
    filters: PartnerFilters,
    sort: PartnerSort,
    *,
    after: KeysetPosition[Any] | None,
    limit: int,
    only_partner_id: UUID | None = None,
) -> list[tuple[Partner, Any]]:
    """Up to `limit` partners after `after` in `sort` order, each with its sort key value (for the cursor).

    The specialisations come joined to the page (SQLAlchemy limits the partners in a subquery, then joins):
    one round trip to the database instead of two, which is what a list costs most on a busy machine."""
    key, descending = _sort_key(sort)
    statement = (
        sa.select(Partner, key)
        .options(joinedload(Partner.specialisations))
        .where(
            *_filter_conditions(filters, only_partner_id),
            keyset_after(key, Partner.id, after, descending=descending),
        )
        .order_by(*keyset_order(key, Partner.id, descending=descending))
        .limit(limit)
    )
    rows = await session.execute(statement)
    return [(row[0], row[1]) for row in rows.unique().all()]


async def add_history_entry(session: AsyncSession, entry: PartnerHistoryEntry) -> None:
    session.add(entry)
    await session.flush()


async def history_page(
    session: AsyncSession,
    partner_id: UUID,
    *,
    kinds: Sequence[HistoryKind],
    after: KeysetPosition[datetime] | None,
    limit: int,
) -> list[PartnerHistoryEntry]:
    """A partner's history, newest first."""
    statement = sa.select(PartnerHistoryEntry).where(PartnerHistoryEntry.partner_id == partner_id)
    if kinds:
        statement = statement.where(PartnerHistoryEntry.kind.in_([k.value for k in kinds]))
    statement = statement.where(
        keyset_after(PartnerHistoryEntry.occurred_at, PartnerHistoryEntry.id, after, descending=True)
    ).order_by(*keyset_order(PartnerHistoryEntry.occurred_at, PartnerHistoryEntry.id, descending=True))
    return list((await session.scalars(statement.limit(limit))).all())

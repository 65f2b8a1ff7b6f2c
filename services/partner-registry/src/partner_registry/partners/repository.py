"""Every query of the partners domain."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_kit.db.core import core_rows
from prm_kit.db.json_items import constant, json_array, json_object, money, timestamp
from prm_kit.db.listing import (
    AnySelect,
    cached_statement,
    json_rows,
    keyset_page,
    page_parameters,
)
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


def _name_contains() -> sa.ColumnElement[bool]:
    # lower(...) LIKE '%…%': the trigram GIN indexes serve this on PostgreSQL; SQLite scans
    pattern = sa.bindparam("name_pattern", type_=sa.String())
    return sa.or_(
        sa.func.lower(Partner.display_name).like(pattern, escape="\\"),
        sa.func.lower(Partner.legal_name).like(pattern, escape="\\"),
    )


def _any_of(column: Any, name: str) -> sa.ColumnElement[bool]:
    return column.in_(sa.bindparam(name, expanding=True))  # type: ignore[no-any-return]


def _current_agreement(wanted: bool) -> sa.ColumnElement[bool]:
    current = sa.exists().where(
        Agreement.partner_id == Partner.id, current_on(sa.bindparam("today", type_=sa.Date()))
    )
    return current if wanted else ~current


# The condition each filter parameter sets (partner_parameters names the ones given).
_CONDITIONS: dict[str, Callable[[], sa.ColumnElement[bool]]] = {
    "partner_types": lambda: _any_of(Partner.partner_type, "partner_types"),
    "statuses": lambda: _any_of(Partner.status, "statuses"),
    "tiers": lambda: _any_of(Partner.tier, "tiers"),
    "countries": lambda: _any_of(Partner.country, "countries"),
    "regions": lambda: _any_of(Partner.region, "regions"),
    "registration_number_key": lambda: (
        Partner.registration_number_key == sa.bindparam("registration_number_key")
    ),
    "website_domain": lambda: Partner.website_domain == sa.bindparam("website_domain"),
    "only_partner_id": lambda: Partner.id == sa.bindparam("only_partner_id", type_=Partner.id.type),
    "specialisations": lambda: sa.exists().where(
        PartnerSpecialisation.partner_id == Partner.id,
        PartnerSpecialisation.value_key.in_(sa.bindparam("specialisations", expanding=True)),
    ),
    "name_pattern": _name_contains,
}


def partner_parameters(filters: PartnerFilters, only_partner_id: UUID | None) -> dict[str, Any]:
    """The bound values of the filters that are set (and of a partner's own credential): their names, with
    the sort, make the shape of the list's statement."""
    values: dict[str, Any] = {
        "partner_types": [t.value for t in filters.partner_types],
        "statuses": [s.value for s in filters.statuses],
        "tiers": filters.tiers,
        "countries": filters.countries,
        "regions": filters.regions,
        "registration_number_key": filters.registration_number_key,
        "website_domain": filters.website_domain,
        "only_partner_id": only_partner_id,
        "specialisations": filters.specialisations,
        "name_pattern": _like_pattern(filters.name_contains) if filters.name_contains else None,
    }
    if filters.has_current_agreement is not None and filters.today is not None:
        values["today"] = filters.today
    return {name: value for name, value in values.items() if value is not None and value != []}


def _page_statement(
    sort: PartnerSort,
    given: tuple[str, ...],
    current_agreement: bool | None,
    after: bool,
    dialect: str,
    as_json: bool,
) -> AnySelect:
    """The page (limited in a subquery), each partner with its sort key (for the cursor) and either its JSON
    as `item` (`as_json`, PostgreSQL) or its columns and its specialisations as JSON rows `[kind, position,
    value]`."""
    key, descending = _sort_key(sort)
    conditions = [_CONDITIONS[name]() for name in given if name in _CONDITIONS]
    if current_agreement is not None:
        conditions.append(_current_agreement(current_agreement))
    page = keyset_page(
        sa.select(*Partner.__table__.columns, key.label("sort_key")).where(*conditions),
        key,
        Partner.id,
        after=after,
        descending=descending,
    ).subquery("page")
    order = keyset_order(page.c.sort_key, page.c.id, descending=descending)
    if as_json:
        return sa.select(page.c.sort_key, page.c.id, _item_json(page).label("item")).order_by(*order)
    spec = PartnerSpecialisation
    specialisations = (
        sa.select(json_rows(dialect, spec.kind, spec.position, spec.value))
        .where(spec.partner_id == page.c.id)
        .scalar_subquery()
    )
    return sa.select(page, specialisations.label("specialisations")).order_by(*order)


def _item_json(page: sa.Subquery) -> sa.ColumnElement[str]:
    """PartnerOut's JSON of a page row, written by PostgreSQL as `schemas.partner_item` and the model would."""
    c = page.c
    spec = PartnerSpecialisation

    def values_of(kind: str) -> sa.ScalarSelect[Any]:
        return (
            sa.select(json_array(spec.value, order_by=spec.position))
            .where(spec.partner_id == c.id, spec.kind == constant(kind))
            .scalar_subquery()
        )

    specialisations = sa.func.json_build_object(
        constant("product_lines"), values_of("product_line"), constant("industries"), values_of("industry")
    )
    return json_object(
        {
            "id": c.id,
            "legal_name": c.legal_name,
            "display_name": c.display_name,
            "partner_type": c.partner_type,
            "status": c.status,
            "status_changed_at": timestamp(c.status_changed_at),
            "status_reason": c.status_reason,
            "tier": c.tier,
            "country": c.country,
            "region": c.region,
            "registration_number": c.registration_number,
            "website_domain": c.website_domain,
            "year_founded": c.year_founded,
            "employee_count": c.employee_count,
            "annual_revenue": money(c.annual_revenue_amount, c.annual_revenue_currency),
            "specialisations": specialisations,
            "segments_served": c.segments_served,
            "custom_attributes": c.custom_attributes,
            "version": c.version,
            "created_at": timestamp(c.created_at),
            "updated_at": timestamp(c.updated_at),
        }
    )


async def partner_page(
    session: AsyncSession,
    filters: PartnerFilters,
    sort: PartnerSort,
    *,
    after: KeysetPosition[Any] | None,
    limit: int,
    only_partner_id: UUID | None = None,
) -> Sequence[sa.Row[Any]]:
    """Up to `limit` partners after `after` in `sort` order, in one statement: rows of `sort_key` (for the
    cursor), `id` and, on PostgreSQL, the partner's JSON as `item`; on SQLite the
    partner's columns and `specialisations` (JSON rows `[kind, position, value]`) instead."""
    parameters = partner_parameters(filters, only_partner_id)
    dialect = session.get_bind().dialect.name
    json_items = dialect == "postgresql"
    current_agreement = filters.has_current_agreement if "today" in parameters else None
    given = tuple(parameters)
    statement = cached_statement(
        ("partner_page", sort, given, current_agreement, after is not None, dialect, json_items),
        lambda: _page_statement(sort, given, current_agreement, after is not None, dialect, json_items),
    )
    return await core_rows(session, statement, parameters | page_parameters(after, limit))


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

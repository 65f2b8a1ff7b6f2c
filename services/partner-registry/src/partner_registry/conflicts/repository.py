"""Every query of the conflict-cases domain, the statistics' aggregations included."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.conflicts import VENDOR_DIRECT
from prm_kit.db import UTCDateTime
from prm_kit.db.core import core_rows
from prm_kit.db.json_items import constant, json_array, json_object, timestamp
from prm_kit.db.listing import (
    AnySelect,
    bound_values,
    cached_statement,
    json_rows,
    keyset_page,
    page_parameters,
)
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from partner_registry.conflicts.models import (
    ConflictCase,
    ConflictCaseParty,
    ConflictCaseRootCause,
    ConflictCaseStep,
)
from partner_registry.conflicts.schemas import CaseFilters


def _with_children() -> Any:
    # joined, not selected in further queries: a page is one round trip (a case has a few parties and
    # causes, so their product stays small)
    return (joinedload(ConflictCase.parties), joinedload(ConflictCase.root_causes))


async def case_by_id(
    session: AsyncSession, case_id: UUID, *, for_update: bool = False
) -> ConflictCase | None:
    """The case with its parties and root causes; `for_update` locks its row until the transaction ends."""
    statement = (
        sa.select(ConflictCase)
        .where(ConflictCase.id == case_id)
        .options(*_with_children())
        .execution_options(populate_existing=True)
    )
    if for_update:
        statement = statement.with_for_update(of=ConflictCase)
    case: ConflictCase | None = (await session.scalars(statement)).unique().one_or_none()
    return case


async def existing_ids(
    session: AsyncSession,
    id_column: Any,
    ids: Iterable[UUID],
    *,
    owner_column: Any = None,
    owner: UUID | None = None,
) -> set[UUID]:
    """Which of `ids` exist in `id_column`'s table (partners, deal registrations, territories); with an
    `owner`, only the rows whose `owner_column` is that partner."""
    wanted = list(ids)
    if not wanted:
        return set()
    statement = sa.select(id_column).where(id_column.in_(wanted))
    if owner is not None:
        statement = statement.where(owner_column == owner)
    return set((await session.scalars(statement)).all())


async def co_parties(session: AsyncSession, partner_id: UUID, among: Iterable[UUID]) -> set[UUID]:
    """Which of `among` are parties to a case `partner_id` is also a party to (it sees them on that case)."""
    wanted = list(among)
    if not wanted:
        return set()
    own_cases = sa.select(ConflictCaseParty.case_id).where(ConflictCaseParty.partner_id == partner_id)
    statement = sa.select(ConflictCaseParty.partner_id).where(
        ConflictCaseParty.case_id.in_(own_cases), ConflictCaseParty.partner_id.in_(wanted)
    )
    return set((await session.scalars(statement.distinct())).all())


def _is_party(partner_id: UUID | sa.ColumnElement[UUID]) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        ConflictCaseParty.case_id == ConflictCase.id, ConflictCaseParty.partner_id == partner_id
    )


async def add_case(session: AsyncSession, case: ConflictCase) -> None:
    session.add(case)
    await session.flush()


async def add_step(session: AsyncSession, step: ConflictCaseStep) -> None:
    session.add(step)
    await session.flush()


def _page_statement(
    filters: CaseFilters, only_party: bool, after: bool, dialect: str, as_json: bool
) -> AnySelect:
    """The page (limited in a subquery), each case either as JSON in `item` (`as_json`, PostgreSQL) or as its
    columns with its parties as JSON rows `[position, partner_id]` and its root causes as `[position, cause,
    detail]`."""
    conditions: list[sa.ColumnElement[bool]] = []
    if only_party:
        conditions.append(_is_party(sa.bindparam("only_party", type_=ConflictCaseParty.partner_id.type)))
    if filters.party is not None:
        conditions.append(_is_party(sa.bindparam("party", type_=ConflictCaseParty.partner_id.type)))
    if filters.stages:
        conditions.append(ConflictCase.stage.in_(sa.bindparam("stages", expanding=True)))
    if filters.conflict_types:
        conditions.append(ConflictCase.conflict_type.in_(sa.bindparam("conflict_types", expanding=True)))
    page = keyset_page(
        sa.select(ConflictCase.__table__).where(*conditions),
        ConflictCase.reported_at,
        ConflictCase.id,
        after=after,
        descending=True,
    ).subquery("page")
    order = keyset_order(page.c.reported_at, page.c.id, descending=True)
    if as_json:
        return sa.select(page.c.reported_at, page.c.id, _item_json(page).label("item")).order_by(*order)
    party, cause = ConflictCaseParty, ConflictCaseRootCause
    parties = (
        sa.select(json_rows(dialect, party.position, party.partner_id))
        .where(party.case_id == page.c.id)
        .scalar_subquery()
    )
    causes = (
        sa.select(json_rows(dialect, cause.position, cause.cause, cause.detail))
        .where(cause.case_id == page.c.id)
        .scalar_subquery()
    )
    return sa.select(page, parties.label("parties"), causes.label("root_causes")).order_by(*order)


_NO_ONE: sa.ColumnElement[Any] = sa.literal_column("'[]'::jsonb")
_VENDOR_DIRECT: sa.ColumnElement[Any] = sa.literal_column(f"'[\"{VENDOR_DIRECT}\"]'::jsonb")


def _item_json(page: sa.Subquery) -> sa.ColumnElement[str]:
    """ConflictCaseOut's JSON of a page row, written by PostgreSQL as `schemas.case_item` and the model would:
    the partners in the order they were named, then the vendor's direct sales."""
    c, party, cause = page.c, ConflictCaseParty, ConflictCaseRootCause
    partners = (
        sa.select(sa.func.jsonb_agg(aggregate_order_by(party.partner_id, party.position)))
        .where(party.case_id == c.id)
        .scalar_subquery()
    )
    parties = sa.func.coalesce(partners, _NO_ONE).op("||")(
        sa.case((c.vendor_direct, _VENDOR_DIRECT), else_=_NO_ONE)
    )
    root_causes = (
        sa.select(
            json_array(
                sa.func.json_build_object(constant("cause"), cause.cause, constant("detail"), cause.detail),
                order_by=cause.position,
            )
        )
        .where(cause.case_id == c.id)
        .scalar_subquery()
    )
    decided = sa.and_(*(column.is_not(None) for column in (c.ruling, c.outcome, c.decided_by, c.decided_at)))
    resolution = sa.func.json_build_object(
        *(constant("ruling"), c.ruling, constant("outcome"), c.outcome, constant("awarded_to"), c.awarded_to),
        *(constant("decided_by"), c.decided_by, constant("decided_at"), timestamp(c.decided_at)),
    )
    return json_object(
        {
            "id": c.id,
            "conflict_type": c.conflict_type,
            "stage": c.stage,
            "parties": parties,
            "description": c.description,
            "deal_registration_ids": c.deal_registration_ids,
            "territory_ids": c.territory_ids,
            "root_causes": root_causes,
            "resolution": sa.case((decided, resolution), else_=sa.null()),
            "reported_by": c.reported_by,
            "reported_at": timestamp(c.reported_at),
            "stage_changed_at": timestamp(c.stage_changed_at),
            "closed_at": timestamp(c.closed_at),
            "version": c.version,
            "updated_at": timestamp(c.updated_at),
        }
    )


async def case_page(
    session: AsyncSession,
    filters: CaseFilters,
    *,
    after: KeysetPosition[datetime] | None,
    limit: int,
    only_party: UUID | None = None,
) -> Sequence[sa.Row[Any]]:
    """Cases, most recently reported first, in one statement: rows of `reported_at`, `id` and, on PostgreSQL,
    the case's JSON as `item`; on SQLite the case's columns, `parties` and
    `root_causes` (JSON rows, see `_page_statement`) instead."""
    dialect = session.get_bind().dialect.name
    json_items = dialect == "postgresql"
    shape = (
        only_party is not None,
        filters.party is not None,
        bool(filters.stages),
        bool(filters.conflict_types),
    )
    statement = cached_statement(
        ("case_page", shape, after is not None, dialect, json_items),
        lambda: _page_statement(filters, only_party is not None, after is not None, dialect, json_items),
    )
    parameters: dict[str, Any] = {
        "only_party": only_party,
        "party": filters.party,
        "stages": [stage.value for stage in filters.stages] or None,
        "conflict_types": [type_.value for type_ in filters.conflict_types] or None,
    }
    given = bound_values(parameters)
    return await core_rows(session, statement, given | page_parameters(after, limit))


async def step_page(
    session: AsyncSession, case_id: UUID, *, after: KeysetPosition[datetime] | None, limit: int
) -> list[ConflictCaseStep]:
    """A case's steps in the order they were taken."""
    statement = (
        sa.select(ConflictCaseStep)
        .where(
            ConflictCaseStep.case_id == case_id,
            keyset_after(ConflictCaseStep.occurred_at, ConflictCaseStep.id, after, descending=False),
        )
        .order_by(*keyset_order(ConflictCaseStep.occurred_at, ConflictCaseStep.id, descending=False))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


# --- statistics --------------------------------------------------------------------------------------------


def _month_of(column: Any, dialect: str) -> sa.ColumnElement[str]:
    """`YYYY-MM` of a UTC timestamp column, in SQL: timestamptz on PostgreSQL, an ISO string on SQLite."""
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def _reported_within(start: datetime, end: datetime, only_party: UUID | None) -> list[sa.ColumnElement[bool]]:
    conditions = [ConflictCase.reported_at >= start, ConflictCase.reported_at < end]
    if only_party is not None:
        conditions.append(_is_party(only_party))
    return conditions


async def reported_by_month_and_type(
    session: AsyncSession, start: datetime, end: datetime, *, only_party: UUID | None
) -> list[tuple[str, str, int]]:
    """(month, conflict_type, cases) of the cases reported in [start, end)."""
    month = _month_of(ConflictCase.reported_at, session.get_bind().dialect.name).label("month")
    rows = await session.execute(
        sa.select(month, ConflictCase.conflict_type, sa.func.count())
        .where(*_reported_within(start, end, only_party))
        .group_by(month, ConflictCase.conflict_type)
    )
    return [(row[0], row[1], row[2]) for row in rows.all()]


async def reported_by_month_and_root_cause(
    session: AsyncSession, start: datetime, end: datetime, *, only_party: UUID | None
) -> list[tuple[str, str, int]]:
    """(month, root cause, cases) of the cases reported in [start, end)."""
    month = _month_of(ConflictCase.reported_at, session.get_bind().dialect.name).label("month")
    rows = await session.execute(
        sa.select(month, ConflictCaseRootCause.cause, sa.func.count())
        .join(ConflictCaseRootCause, ConflictCaseRootCause.case_id == ConflictCase.id)
        .where(*_reported_within(start, end, only_party))
        .group_by(month, ConflictCaseRootCause.cause)
    )
    return [(row[0], row[1], row[2]) for row in rows.all()]


async def resolution_times(
    session: AsyncSession, start: datetime, end: datetime, *, only_party: UUID | None
) -> list[timedelta]:
    """closed_at - reported_at of each case closed in [start, end)."""
    statement = sa.select(ConflictCase.reported_at, ConflictCase.closed_at).where(
        ConflictCase.closed_at >= start, ConflictCase.closed_at < end
    )
    if only_party is not None:
        statement = statement.where(_is_party(only_party))
    rows = (await session.execute(statement)).all()
    return [closed - reported for reported, closed in rows if closed is not None]


async def open_cases_by_age(
    session: AsyncSession,
    as_of: datetime,
    buckets: list[tuple[str, datetime | None, datetime]],
    *,
    only_party: UUID | None,
) -> dict[str, int]:
    """How many cases open at `as_of` fall in each bucket of (label, reported after, reported at or before)."""
    conditions: list[sa.ColumnElement[bool]] = [
        ConflictCase.reported_at <= as_of,
        sa.or_(ConflictCase.closed_at.is_(None), ConflictCase.closed_at > as_of),
    ]
    if only_party is not None:
        conditions.append(_is_party(only_party))
    columns = []
    for label, after, at_or_before in buckets:
        within = [ConflictCase.reported_at <= sa.literal(at_or_before, UTCDateTime())]
        if after is not None:
            within.append(ConflictCase.reported_at > sa.literal(after, UTCDateTime()))
        columns.append(sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*within), 1), else_=0)), 0).label(label))
    row = (await session.execute(sa.select(*columns).where(*conditions))).one()
    return {label: int(row._mapping[label]) for label, _, _ in buckets}

"""Every query of the replica: the writes its events make (bulk and idempotent: each is an INSERT … ON
CONFLICT, so a redelivered event or a line sent twice changes nothing), and the set-based as-of reads the
calculation runs join to lines (tier on a day, status at a moment, for many partners at once).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.periods import Period
from prm_kit.db.core import insert_on_conflict, is_postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from incentives.replica.line_state_models import LineFlag, PendingPaymentChange
from incentives.replica.models import (
    DealRegistrationState,
    PartnerProfile,
    PartnerStatusPeriod,
    PartnerTierPeriod,
    SalesLine,
)

# --- sales lines ------------------------------------------------------------------------------------------


async def insert_lines(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Lines not replicated yet; one already here (by its id or its partner's external id) is left as it
    is. One multi-row statement (RETURNING makes SQLAlchemy batch the rows into it): PostgreSQL's month-sum
    trigger then runs once per delivery, not once per line."""
    if rows:
        insert = insert_on_conflict(session, SalesLine).on_conflict_do_nothing().returning(SalesLine.id)
        await session.execute(insert, list(rows))


async def insert_flags(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Flags as a line was recorded with (open); a flag whose review came first keeps its outcome."""
    if rows:
        await session.execute(insert_on_conflict(session, LineFlag).on_conflict_do_nothing(), list(rows))


async def record_flag_review(
    session: AsyncSession, *, line_id: UUID, code: str, flag_id: UUID, status: str
) -> None:
    """A flag's outcome, kept even before its line arrives (analytics' review is final: it beats `open`)."""
    insert = insert_on_conflict(session, LineFlag).values(
        line_id=line_id, code=code, flag_id=flag_id, status=status
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["line_id", "code"],
            set_={"status": insert.excluded.status, "flag_id": insert.excluded.flag_id},
        )
    )


def _has_flag(status: str) -> Any:
    return sa.exists().where(LineFlag.line_id == SalesLine.id, LineFlag.status == status)


async def refresh_flag_status(session: AsyncSession, line_ids: Collection[UUID]) -> None:
    """Each line's `flag_status` from its flags: `open` if any is open, else `confirmed` if any is, else
    `dismissed` if it has flags at all, else `none`."""
    if not line_ids:
        return
    summary = sa.case(
        (_has_flag("open"), "open"),
        (_has_flag("confirmed"), "confirmed"),
        (_has_flag("dismissed"), "dismissed"),
        else_="none",
    )
    await session.execute(
        sa.update(SalesLine)
        .where(SalesLine.id.in_(list(line_ids)))
        .values(flag_status=summary)
        .execution_options(synchronize_session=False)
    )


async def replicated_line_ids(session: AsyncSession, line_ids: Collection[UUID]) -> set[UUID]:
    if not line_ids:
        return set()
    return set(await session.scalars(sa.select(SalesLine.id).where(SalesLine.id.in_(list(line_ids)))))


async def set_payment_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """`{"id", "payment_status", "paid_on"}` of replicated lines. On PostgreSQL one UPDATE from a VALUES list
    (its month-sum trigger then runs once for them all, not once per line); elsewhere one UPDATE by primary
    key, executed many."""
    if not rows:
        return
    if not is_postgresql(session):
        await session.execute(sa.update(SalesLine), list(rows))
        return
    change = sa.values(
        sa.column("id", sa.Uuid()),
        sa.column("payment_status", sa.String()),
        sa.column("paid_on", sa.Date()),
        name="change",
    ).data([(row["id"], row["payment_status"], row["paid_on"]) for row in rows])
    await session.execute(
        sa.update(SalesLine)
        .where(SalesLine.id == change.c.id)
        .values(payment_status=change.c.payment_status, paid_on=change.c.paid_on)
        .execution_options(synchronize_session=False)
    )


async def keep_pending_payments(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Payment changes of lines not here yet; of two changes of a line, the one that happened later stays."""
    if not rows:
        return
    insert = insert_on_conflict(session, PendingPaymentChange)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["line_id"],
            set_={
                "payment_status": insert.excluded.payment_status,
                "paid_on": insert.excluded.paid_on,
                "changed_at": insert.excluded.changed_at,
            },
            where=PendingPaymentChange.changed_at <= insert.excluded.changed_at,
        ),
        list(rows),
    )


async def take_pending_payments(
    session: AsyncSession, line_ids: Collection[UUID]
) -> Sequence[PendingPaymentChange]:
    """The pending changes of these lines, removed from the pending table (the caller applies them)."""
    if not line_ids:
        return []
    pending = (
        await session.scalars(
            sa.select(PendingPaymentChange).where(PendingPaymentChange.line_id.in_(list(line_ids)))
        )
    ).all()
    if pending:
        await session.execute(
            sa.delete(PendingPaymentChange)
            .where(PendingPaymentChange.line_id.in_([change.line_id for change in pending]))
            .execution_options(synchronize_session=False)
        )
    return pending


# --- partners and deal registrations ----------------------------------------------------------------------


async def partner_known(session: AsyncSession, partner_id: UUID) -> bool:
    """Whether a record of the partner (`partner.created`, `.updated`, `.status_changed`) has arrived."""
    return bool(await session.scalar(sa.select(sa.exists().where(PartnerProfile.partner_id == partner_id))))


async def upsert_profile(session: AsyncSession, values: dict[str, Any]) -> None:
    """The partner's dimensions, unless what is stored came from a later event."""
    insert = insert_on_conflict(session, PartnerProfile).values(**values)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["partner_id"],
            set_={name: insert.excluded[name] for name in values if name != "partner_id"},
            where=PartnerProfile.as_of < insert.excluded.as_of,
        )
    )


async def add_status_period(
    session: AsyncSession, *, partner_id: UUID, valid_from: datetime, status: str
) -> None:
    """A status from the moment it was taken; the same entry heard again is kept once."""
    await session.execute(
        insert_on_conflict(session, PartnerStatusPeriod)
        .values(partner_id=partner_id, valid_from=valid_from, status=status)
        .on_conflict_do_nothing()
    )


async def put_tier_period(
    session: AsyncSession, *, partner_id: UUID, valid_from: date, tier: str, changed_at: datetime
) -> None:
    """The tier from `valid_from`; a change effective the same day replaces it only if decided later."""
    insert = insert_on_conflict(session, PartnerTierPeriod).values(
        partner_id=partner_id, valid_from=valid_from, tier=tier, changed_at=changed_at
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["partner_id", "valid_from"],
            set_={"tier": insert.excluded.tier, "changed_at": insert.excluded.changed_at},
            where=PartnerTierPeriod.changed_at < insert.excluded.changed_at,
        )
    )


async def upsert_deal_registration(session: AsyncSession, values: dict[str, Any]) -> None:
    """The registration's state by its newest event; `approved_on` once set stays (any event may set it)."""
    insert = insert_on_conflict(session, DealRegistrationState).values(**values)
    newer = DealRegistrationState.as_of < insert.excluded.as_of

    def latest(name: str) -> Any:
        return sa.case((newer, insert.excluded[name]), else_=getattr(DealRegistrationState, name))

    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["id"],
            set_={
                "partner_id": latest("partner_id"),
                "status": latest("status"),
                "protected_until": latest("protected_until"),
                "as_of": latest("as_of"),
                "approved_on": sa.func.coalesce(
                    DealRegistrationState.approved_on, insert.excluded.approved_on
                ),
            },
        )
    )


# --- as-of reads, set-based -------------------------------------------------------------------------------


def utc_day(column: Any, dialect: str) -> Any:
    """The UTC calendar day of a stored timestamp (SQLite keeps UTC text, PostgreSQL timestamptz)."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    return sa.func.date(column)


def tier_on(partner_id: Any, day: Any) -> Any:
    """The tier in force on `day` (a column or value): the entry with the latest `valid_from` ≤ day; None
    before the first. A correlated scalar subquery, to put beside a line's columns."""
    return (
        sa.select(PartnerTierPeriod.tier)
        .where(PartnerTierPeriod.partner_id == partner_id, PartnerTierPeriod.valid_from <= day)
        .order_by(PartnerTierPeriod.valid_from.desc())
        .limit(1)
        .scalar_subquery()
    )


def status_at(partner_id: Any, moment: Any) -> Any:
    """The status in force at `moment` (a column or value): the latest entry from at or before it."""
    return (
        sa.select(PartnerStatusPeriod.status)
        .where(PartnerStatusPeriod.partner_id == partner_id, PartnerStatusPeriod.valid_from <= moment)
        .order_by(PartnerStatusPeriod.valid_from.desc())
        .limit(1)
        .scalar_subquery()
    )


def status_on_day(partner_id: Any, day: Any, dialect: str) -> Any:
    """The status in force at the end of `day` (UTC): what a sale dated that day is judged by."""
    return (
        sa.select(PartnerStatusPeriod.status)
        .where(
            PartnerStatusPeriod.partner_id == partner_id,
            utc_day(PartnerStatusPeriod.valid_from, dialect) <= day,
        )
        .order_by(PartnerStatusPeriod.valid_from.desc())
        .limit(1)
        .scalar_subquery()
    )


def tier_intervals() -> sa.Subquery:
    """Each tier entry as the interval of days it holds: [`valid_from`, `valid_to`), `valid_to` the next
    entry's `valid_from` (None: still in force). Entries are unique per (partner, day), so the intervals of a
    partner never overlap and a day lies in at most one: joining lines to it is a range join instead of a
    lookup per line."""
    following = sa.func.lead(PartnerTierPeriod.valid_from).over(
        partition_by=PartnerTierPeriod.partner_id, order_by=PartnerTierPeriod.valid_from
    )
    return sa.select(
        PartnerTierPeriod.partner_id,
        PartnerTierPeriod.tier,
        PartnerTierPeriod.valid_from,
        following.label("valid_to"),
    ).subquery("tier_interval")


def status_intervals(dialect: str) -> sa.Subquery:
    """Each status entry as the interval of days whose end it is in force at: [UTC day of its `valid_from`,
    UTC day of the next entry's). Of two entries of one day the earlier gets an empty interval, so a day
    lies in at most one: the last entry taken on or before it, as `status_on_day` answers."""
    day = utc_day(PartnerStatusPeriod.valid_from, dialect)
    following = sa.func.lead(day).over(
        partition_by=PartnerStatusPeriod.partner_id, order_by=PartnerStatusPeriod.valid_from
    )
    return sa.select(
        PartnerStatusPeriod.partner_id,
        PartnerStatusPeriod.status,
        day.label("valid_from"),
        following.label("valid_to"),
    ).subquery("status_interval")


def holds_on(interval: sa.Subquery, partner_id: Any, day: Any) -> Any:
    """The join condition: the interval is the partner's and holds on `day`."""
    return sa.and_(
        interval.c.partner_id == partner_id,
        interval.c.valid_from <= day,
        sa.or_(interval.c.valid_to.is_(None), day < interval.c.valid_to),
    )


async def tiers_on(
    session: AsyncSession, day: date, partner_ids: Collection[UUID] | None = None
) -> dict[UUID, str]:
    """Partner -> tier held on `day`, for all partners (or these); partners without a tier then are left
    out. One query: each partner's entry whose `valid_from` is the latest on or before `day`."""
    earlier = aliased(PartnerTierPeriod)
    latest_start = (
        sa.select(sa.func.max(earlier.valid_from))
        .where(earlier.partner_id == PartnerTierPeriod.partner_id, earlier.valid_from <= day)
        .scalar_subquery()
    )
    query = sa.select(PartnerTierPeriod.partner_id, PartnerTierPeriod.tier).where(
        PartnerTierPeriod.valid_from == latest_start
    )
    if partner_ids is not None:
        query = query.where(PartnerTierPeriod.partner_id.in_(list(partner_ids)))
    return {row.partner_id: row.tier for row in await session.execute(query)}


async def statuses_at(
    session: AsyncSession, moment: datetime, partner_ids: Collection[UUID] | None = None
) -> dict[UUID, str]:
    """Partner -> status held at `moment`, for all partners (or these); unknown then: left out."""
    earlier = aliased(PartnerStatusPeriod)
    latest_start = (
        sa.select(sa.func.max(earlier.valid_from))
        .where(earlier.partner_id == PartnerStatusPeriod.partner_id, earlier.valid_from <= moment)
        .scalar_subquery()
    )
    query = sa.select(PartnerStatusPeriod.partner_id, PartnerStatusPeriod.status).where(
        PartnerStatusPeriod.valid_from == latest_start
    )
    if partner_ids is not None:
        query = query.where(PartnerStatusPeriod.partner_id.in_(list(partner_ids)))
    return {row.partner_id: row.status for row in await session.execute(query)}


def lines_in_query(
    period: Period, dialect: str, partner_ids: Collection[UUID] | None = None
) -> sa.Select[Any]:
    """The lines that occurred in `period` (of these partners), each with the partner's tier on its day and
    status at the end of its day (`tier`, `partner_status`), ordered by partner, day and line id. Range joins
    on the history intervals, so the read stays one pass however many lines."""
    tier, status = tier_intervals(), status_intervals(dialect)
    query = (
        sa.select(SalesLine, tier.c.tier, status.c.status.label("partner_status"))
        .outerjoin(tier, holds_on(tier, SalesLine.partner_id, SalesLine.occurred_on))
        .outerjoin(status, holds_on(status, SalesLine.partner_id, SalesLine.occurred_on))
        .where(SalesLine.occurred_on >= period.first_day, SalesLine.occurred_on < period.end)
        .order_by(SalesLine.partner_id, SalesLine.occurred_on, SalesLine.id)
    )
    if partner_ids is not None:
        query = query.where(SalesLine.partner_id.in_(list(partner_ids)))
    return query


async def lines_in(
    session: AsyncSession, period: Period, partner_ids: Collection[UUID] | None = None
) -> Sequence[sa.Row[Any]]:
    """Rows of (`SalesLine`, `tier`, `partner_status`): see `lines_in_query`."""
    rows: Sequence[sa.Row[Any]] = (
        await session.execute(lines_in_query(period, session.get_bind().dialect.name, partner_ids))
    ).all()
    return rows

"""Every query of calculation runs, above all the set-based read of the replica: one SQL pass that filters
the period's eligible lines (tier and status as of each line's day, range-joined from the date-effective
histories' intervals) and sums them per (partner, currency, FX day, held reason, flagged line, deal flag,
SPIFF flags)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, cast
from uuid import UUID

import sqlalchemy as sa
import sqlalchemy.orm
from prm_contracts.incentives import (
    AdjustmentKind,
    Basis,
    DealRegistrationBonusRule,
    PayoutStatus,
    SpiffRule,
    VersionTerms,
)
from prm_contracts.periods import Period
from prm_contracts.problem import Conflict
from prm_kit.db import ExactDecimal
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.adjustments.models import Adjustment
from incentives.calculation.reference import FLAGGED, HELD_FLAGS, HOLD_PERIOD, counting_window
from incentives.calculation_runs.models import CalculationRun, Payout
from incentives.replica.models import DealRegistrationState, PartnerProfile, SalesLine
from incentives.replica.repository import (
    holds_on,
    status_intervals,
    status_on_day,
    tier_intervals,
    tier_on,
)

AMOUNT = ExactDecimal(19, 4)
_PAYOUT = cast(sa.Table, Payout.__table__)


class SpiffSums(NamedTuple):
    """What a group's lines under one SPIFF rule add up to (signed: a return takes back)."""

    rule: int  # the rule's index in the terms
    units: Decimal
    deals: int


class LineGroup(NamedTuple):
    """The sums of one group of a partner's eligible lines (amounts signed, in the line currency)."""

    partner_id: UUID
    currency: str
    fx_rate: int | None  # a foreign currency's lines: the index of their FX factor in the read's `FxKeys`
    fx_day: date | None  # a foreign currency's day the read had no factor for (a line that came in since)
    held: str | None
    flagged_line: UUID | None  # the line's id when a flag holds it (such a line is a group of its own)
    amount: Decimal
    deal_amount: Decimal  # of the lines linked to an approved deal registration
    deal_lines: int
    spiffs: tuple[SpiffSums, ...]  # of the SPIFF rules with lines in the group, by rule index
    lines: int


FxKeys = list[tuple[str, list[date]]]
"""A read's FX grouping: at index k the (currency, days) whose lines share one conversion factor, so the
lines of all those days are summed together and converted once, exactly as one by one."""


@dataclass(frozen=True)
class Scope:
    """What a run reads: the version's terms over the period, lines recorded up to `recorded_until`."""

    terms: VersionTerms
    period: Period
    currency: str
    as_of: date
    recorded_until: datetime
    programme_id: UUID | None = None  # set: returns this programme clawed back do not count again


async def without_jit(session: AsyncSession) -> None:
    """PostgreSQL compiles a statement whose estimated cost passes `jit_above_cost` to machine code; a run's
    line read is such a statement yet runs in a fraction of a second, and the compile alone took longer
    (0.6 s at 200,000 lines on a quiet machine, 2.6 s under load). Off for the rest of the run's transaction
    (SET LOCAL ends with it); SQLite has nothing to switch."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(sa.text("SET LOCAL jit = off"))


def approved_deal() -> Any:
    """The line is linked to a registration of its partner approved on or before the line's day (the
    per-line form, for one partner's trace; the run joins `DealRegistrationState` instead)."""
    return sa.exists().where(
        DealRegistrationState.id == SalesLine.deal_registration_id,
        DealRegistrationState.partner_id == SalesLine.partner_id,
        DealRegistrationState.approved_on.is_not(None),
        DealRegistrationState.approved_on <= SalesLine.occurred_on,
    )


def _in_window(scope: Scope) -> list[Any]:
    first, end = counting_window(scope.terms, scope.period)
    conditions: list[Any] = [SalesLine.recorded_at <= scope.recorded_until]
    if scope.terms.basis is Basis.PAID:
        conditions += [
            SalesLine.payment_status == "paid",
            SalesLine.paid_on >= first,
            SalesLine.paid_on < end,
        ]
    else:
        conditions += [SalesLine.occurred_on >= first, SalesLine.occurred_on < end]
    return conditions


def _eligible_lines(scope: Scope, dialect: str, *columns: Any) -> sa.Select[Any]:
    """`columns` of the scope's eligible lines. The tier and status as of each line's day come from range
    joins on the history intervals and the deal registration from a join on its key: one pass over the
    lines, never a lookup per line. Each line matches at most one interval and one registration, so no line
    is counted twice; a line the joins find nothing for is dropped only by the rule that needs it.
    `DealRegistrationState.id` is not null on the lines of an approved registration."""
    rules = scope.terms.eligibility
    conditions = _in_window(scope)
    statement = (
        sa.select(*columns)
        .select_from(SalesLine)
        .outerjoin(PartnerProfile, PartnerProfile.partner_id == SalesLine.partner_id)
    )
    if _reads_deals(scope.terms):
        statement = statement.outerjoin(
            DealRegistrationState,
            sa.and_(
                DealRegistrationState.id == SalesLine.deal_registration_id,
                DealRegistrationState.partner_id == SalesLine.partner_id,
                DealRegistrationState.approved_on.is_not(None),
                DealRegistrationState.approved_on <= SalesLine.occurred_on,
            ),
        )
    if rules.tiers is not None:
        tier = tier_intervals()
        statement = statement.join(tier, holds_on(tier, SalesLine.partner_id, SalesLine.occurred_on))
        conditions.append(tier.c.tier.in_(rules.tiers))
    if rules.active_at_sale:
        status = status_intervals(dialect)
        statement = statement.join(status, holds_on(status, SalesLine.partner_id, SalesLine.occurred_on))
        conditions.append(status.c.status == "active")
    if scope.programme_id is not None:
        conditions.append(_not_clawed_back(scope.programme_id))
    if rules.partner_types is not None:
        conditions.append(PartnerProfile.partner_type.in_([t.value for t in rules.partner_types]))
    if rules.countries is not None:
        conditions.append(PartnerProfile.country.in_(rules.countries))
    if rules.regions is not None:
        conditions.append(PartnerProfile.region.in_(rules.regions))
    if rules.categories_included is not None:
        conditions.append(SalesLine.product_category.in_(rules.categories_included))
    if rules.categories_excluded:
        conditions.append(SalesLine.product_category.not_in(rules.categories_excluded))
    if rules.skus_included is not None:
        conditions.append(SalesLine.product_sku.in_(rules.skus_included))
    if rules.skus_excluded:
        conditions.append(SalesLine.product_sku.not_in(rules.skus_excluded))
    if rules.registered_deals_only:
        conditions.append(DealRegistrationState.id.is_not(None))
    return statement.where(*conditions)


def _not_clawed_back(programme_id: UUID) -> Any:
    """The line is not a return a clawback of the programme took back already (`clawed_back`, as NOT IN:
    PostgreSQL hashes the few clawed lines once, where NOT EXISTS against a table it believes empty became a
    probe per line)."""
    taken = sa.select(Adjustment.source_line_id).where(
        Adjustment.programme_id == programme_id,
        Adjustment.kind == AdjustmentKind.CLAWBACK.value,
        Adjustment.source_line_id.is_not(None),  # NOT IN over a NULL would drop every line
    )
    return SalesLine.id.not_in(taken)


def _reads_deals(terms: VersionTerms) -> bool:
    """Whether anything of the terms looks at a line's deal registration (else the join is left out and the
    deal sums are 0: nothing reads them)."""
    return terms.eligibility.registered_deals_only or any(
        isinstance(rule, DealRegistrationBonusRule) for rule in terms.rules
    )


def _held(scope: Scope) -> Any:
    cutoff = scope.as_of - timedelta(days=scope.terms.hold_days)
    return sa.case(
        (SalesLine.flag_status.in_(HELD_FLAGS), sa.literal(FLAGGED)),
        (SalesLine.occurred_on > cutoff, sa.literal(HOLD_PERIOD)),
        else_=sa.null(),
    )


def _spiff_rules(terms: VersionTerms) -> list[tuple[int, SpiffRule]]:
    return [(index, rule) for index, rule in enumerate(terms.rules) if isinstance(rule, SpiffRule)]


async def foreign_days(session: AsyncSession, scope: Scope) -> dict[str, set[date]]:
    """Per currency other than the programme's, the days of the scope's eligible lines in it: the FX rates
    the run needs, read before the sums so that the sums can be grouped by rate instead of by day."""
    connection = await session.connection()
    rows = await connection.execute(
        _eligible_lines(scope, session.get_bind().dialect.name, SalesLine.currency, SalesLine.occurred_on)
        .where(SalesLine.currency != scope.currency)
        .distinct()
    )
    days: dict[str, set[date]] = {}
    for currency, day in rows.all():
        days.setdefault(currency, set()).add(day)
    return days


def _fx_key(keys: FxKeys) -> Any:
    """The index of the line's FX factor in `keys`; NULL for the programme's currency and for a day `keys`
    does not know."""
    if not keys:
        return sa.null()
    return sa.case(
        *[
            (sa.and_(SalesLine.currency == currency, SalesLine.occurred_on.in_(days)), index)
            for index, (currency, days) in enumerate(keys)
        ],
        else_=sa.null(),
    )


async def line_groups(session: AsyncSession, scope: Scope, fx_keys: FxKeys) -> list[LineGroup]:
    """The set-based read: eligible lines of the scope summed per group, in one statement. Groups are by
    partner, currency, FX factor, held reason and flagged line; the deal and SPIFF sums are conditional
    sums inside a group, not groups of their own, so a partner has a handful of groups, not hundreds. A
    line a flag holds is a group of its own (few: the anomaly guard's open or confirmed flags), so the same
    pass names them."""
    dialect = session.get_bind().dialect.name
    sale = SalesLine.kind == "sale"
    spiffs = _spiff_rules(scope.terms)
    amount = sa.case((sale, SalesLine.amount), else_=-SalesLine.amount)
    quantity = sa.case((sale, SalesLine.quantity), else_=-SalesLine.quantity)
    sign = sa.case((sale, 1), else_=-1)
    deal = DealRegistrationState.id.is_not(None) if _reads_deals(scope.terms) else sa.false()
    fx_key = _fx_key(fx_keys)
    per_line = _eligible_lines(
        scope,
        dialect,
        SalesLine.partner_id,
        SalesLine.currency,
        fx_key.label("fx_rate"),
        sa.case(
            (SalesLine.currency == scope.currency, sa.null()),
            (fx_key.is_(None), SalesLine.occurred_on),
            else_=sa.null(),
        ).label("fx_day"),
        _held(scope).label("held"),
        sa.case((SalesLine.flag_status.in_(HELD_FLAGS), SalesLine.id), else_=sa.null()).label("flagged_line"),
        amount.label("amount"),
        sa.case((deal, amount), else_=0).label("deal_amount"),
        sa.case((deal, 1), else_=0).label("deal_line"),
        *[column for index, rule in spiffs for column in _spiff_columns(index, rule, quantity, sign)],
    ).subquery("eligible_line")
    keys = [
        per_line.c.partner_id,
        per_line.c.currency,
        per_line.c.fx_rate,
        per_line.c.fx_day,
        per_line.c.held,
        per_line.c.flagged_line,
    ]
    sums = [
        _exact_sum(per_line.c.amount, dialect),
        _exact_sum(per_line.c.deal_amount, dialect),
        sa.func.sum(per_line.c.deal_line),
        sa.func.count(),
    ]
    for index, _ in spiffs:
        sums += [
            _exact_sum(per_line.c[f"spiff_{index}_units"], dialect),
            sa.func.sum(per_line.c[f"spiff_{index}_deals"]),
            sa.func.sum(per_line.c[f"spiff_{index}_lines"]),
        ]
    statement = sa.select(*keys, *sums).group_by(*keys)
    groups = []
    # Core execution: the rows are plain tuples, and the ORM's result machinery cost more than the query
    connection = await session.connection()
    for row in (await connection.execute(statement)).all():
        under = [
            SpiffSums(index, row[10 + 3 * at], int(row[11 + 3 * at]))
            for at, (index, _) in enumerate(spiffs)
            if row[12 + 3 * at]
        ]
        groups.append(
            LineGroup(
                partner_id=row[0],
                currency=row[1],
                fx_rate=None if row[2] is None else int(row[2]),
                fx_day=_as_date(row[3]),
                held=row[4],
                flagged_line=_as_uuid(row[5]),
                amount=row[6],
                deal_amount=row[7],
                deal_lines=int(row[8]),
                spiffs=tuple(under),
                lines=int(row[9]),
            )
        )
    return groups


def _spiff_columns(index: int, rule: SpiffRule, quantity: Any, sign: Any) -> list[Any]:
    """The line's units, deal count and line count under the SPIFF rule (0 outside it)."""
    under = sa.and_(
        SalesLine.product_sku.in_(rule.skus),
        SalesLine.occurred_on >= rule.window.from_,
        SalesLine.occurred_on <= rule.window.to,
    )
    return [
        sa.case((under, quantity), else_=0).label(f"spiff_{index}_units"),
        sa.case((under, sign), else_=0).label(f"spiff_{index}_deals"),
        sa.case((under, 1), else_=0).label(f"spiff_{index}_lines"),
    ]


def _exact_sum(column: Any, dialect: str) -> Any:
    """SUM of an amount column: on SQLite the scaled integers, read back through the column type; PostgreSQL's
    NUMERIC sum of 4-place values is already the exact Decimal, read as it is (converting tens of thousands
    of sums again was a visible share of a run)."""
    total = sa.func.sum(column)
    return sa.type_coerce(total, sa.Numeric(asdecimal=True) if dialect == "postgresql" else AMOUNT)


def _as_date(value: Any) -> date | None:
    """SQLite hands a CASE over a date column back as its text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _as_uuid(value: Any) -> UUID | None:
    """SQLite hands a CASE over a UUID column back as its stored text."""
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))


def flagged_line_ids(groups: list[LineGroup]) -> dict[UUID, list[UUID]]:
    """The eligible lines a flag holds, per partner, in id order (from `line_groups`)."""
    held: dict[UUID, list[UUID]] = {}
    for group in groups:
        if group.flagged_line is not None:
            held.setdefault(group.partner_id, []).append(group.flagged_line)
    return {partner: sorted(lines) for partner, lines in sorted(held.items())}


async def partner_lines(session: AsyncSession, scope: Scope, partner_id: UUID) -> Sequence[sa.Row[Any]]:
    """One partner's lines of the period with the facts eligibility is judged on, eligible or not (the
    reference calculator decides): the tier and status as of each line's day and the current profile. Looked
    up per line (a partner's lines are few), a second way to the answer the run's range joins gave."""
    dialect = session.get_bind().dialect.name
    statement = (
        sa.select(
            SalesLine,
            tier_on(SalesLine.partner_id, SalesLine.occurred_on).label("tier"),
            status_on_day(SalesLine.partner_id, SalesLine.occurred_on, dialect).label("status"),
            approved_deal().label("approved_deal"),
            PartnerProfile.partner_type,
            PartnerProfile.country,
            PartnerProfile.region,
        )
        .select_from(SalesLine)
        .outerjoin(PartnerProfile, PartnerProfile.partner_id == SalesLine.partner_id)
        .where(SalesLine.partner_id == partner_id, *_in_window(scope))
        .order_by(SalesLine.id)
    )
    return (await session.execute(statement)).all()


async def run_for_period(session: AsyncSession, programme_id: UUID, period: str) -> CalculationRun | None:
    found: CalculationRun | None = await session.scalar(
        sa.select(CalculationRun)
        .where(CalculationRun.programme_id == programme_id, CalculationRun.period == period)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def run_by_id(
    session: AsyncSession, run_id: UUID, *, for_update: bool = False
) -> CalculationRun | None:
    statement = (
        sa.select(CalculationRun).where(CalculationRun.id == run_id).execution_options(populate_existing=True)
    )
    if for_update:
        statement = statement.with_for_update()
    found: CalculationRun | None = await session.scalar(statement)
    return found


async def run_page(
    session: AsyncSession, *, programme_id: UUID | None, after: KeysetPosition[datetime] | None, limit: int
) -> list[CalculationRun]:
    statement = sa.select(CalculationRun).where(
        keyset_after(CalculationRun.created_at, CalculationRun.id, after, descending=True)
    )
    if programme_id is not None:
        statement = statement.where(CalculationRun.programme_id == programme_id)
    statement = statement.order_by(
        *keyset_order(CalculationRun.created_at, CalculationRun.id, descending=True)
    )
    return list((await session.scalars(statement.limit(limit))).all())


async def replace_payouts(session: AsyncSession, run_id: UUID, payouts: list[dict[str, Any]]) -> None:
    """A draft's payouts replaced whole, in bulk."""
    await session.execute(sa.delete(Payout).where(Payout.run_id == run_id))
    if payouts:
        # Core executemany on the table: the ORM's bulk path took longer than the database did
        connection = await session.connection()
        await connection.execute(sa.insert(_PAYOUT), payouts)


async def payout(session: AsyncSession, run_id: UUID, partner_id: UUID) -> Payout | None:
    found: Payout | None = await session.get(Payout, (run_id, partner_id))
    return found


async def payout_page(
    session: AsyncSession, run_id: UUID, *, partner_id: UUID | None, after: UUID | None, limit: int
) -> list[Payout]:
    statement = sa.select(Payout).where(Payout.run_id == run_id)
    if partner_id is not None:
        statement = statement.where(Payout.partner_id == partner_id)
    if after is not None:
        statement = statement.where(Payout.partner_id > after)
    return list((await session.scalars(statement.order_by(Payout.partner_id).limit(limit))).all())


class RunRaced(Conflict):
    slug, title = "calculation-run-in-progress", "Another run of the period was stored first"


async def add(session: AsyncSession, run: CalculationRun) -> None:
    """A new run; two first runs of one period racing: the loser's unique violation is a 409 (its
    transaction is rolled back by the request), never a 500."""
    session.add(run)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise RunRaced(
            f"another run of {run.period} was stored while this one computed; run the period again to "
            "recompute that draft"
        ) from exc


async def decided_payouts(session: AsyncSession, run_id: UUID) -> int:
    """How many of the run's payouts are approved, held or paid (a re-run would drop those decisions)."""
    found = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Payout)
        .where(Payout.run_id == run_id, Payout.status != PayoutStatus.PENDING.value)
    )
    return found or 0


async def payout_for_update(session: AsyncSession, run_id: UUID, partner_id: UUID) -> Payout | None:
    found: Payout | None = await session.scalar(
        sa.select(Payout)
        .where(Payout.run_id == run_id, Payout.partner_id == partner_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def run_payouts(session: AsyncSession, run_id: UUID, *, status: str | None = None) -> list[Payout]:
    statement = sa.select(Payout).where(Payout.run_id == run_id)
    if status is not None:
        statement = statement.where(Payout.status == status)
    statement = statement.order_by(Payout.partner_id).execution_options(populate_existing=True)
    return list((await session.scalars(statement)).all())


async def locked_runs_before(
    session: AsyncSession, programme_id: UUID, first_day: date
) -> list[CalculationRun]:
    """The programme's approved or paid runs of periods before `first_day`, oldest first."""
    statement = (
        sa.select(CalculationRun)
        .where(
            CalculationRun.programme_id == programme_id,
            CalculationRun.first_day < first_day,
            CalculationRun.status != "draft",
        )
        .order_by(CalculationRun.first_day)
    )
    return list((await session.scalars(statement)).all())


@dataclass(frozen=True)
class ClawbackCandidate:
    line: SalesLine
    original: SalesLine
    run: CalculationRun
    payout: Payout


async def clawback_candidates(
    session: AsyncSession, scope: Scope, programme_id: UUID
) -> list[ClawbackCandidate]:
    """Returns and credit notes of the scope's window whose original sale (same partner, its external id)
    fell in a paid run of the programme that paid that partner."""
    original = sa.orm.aliased(SalesLine, name="original_line")
    first, end = counting_window(scope.terms, scope.period)
    statement = (
        sa.select(SalesLine, original, CalculationRun, Payout)
        .join(
            original,
            sa.and_(
                original.partner_id == SalesLine.partner_id,
                original.external_id == SalesLine.original_external_id,
                original.kind == "sale",
            ),
        )
        .join(
            CalculationRun,
            sa.and_(
                CalculationRun.programme_id == programme_id,
                CalculationRun.status == "paid",
                CalculationRun.first_day <= original.occurred_on,
                CalculationRun.end_day > original.occurred_on,
            ),
        )
        .join(
            Payout,
            sa.and_(
                Payout.run_id == CalculationRun.id,
                Payout.partner_id == SalesLine.partner_id,
                Payout.status == "paid",
            ),
        )
        .where(
            SalesLine.kind.in_(["return", "credit_note"]),
            SalesLine.original_external_id.is_not(None),
            SalesLine.occurred_on >= first,
            SalesLine.occurred_on < end,
            SalesLine.recorded_at <= scope.recorded_until,
        )
        .order_by(SalesLine.id)
    )
    return [ClawbackCandidate(*row) for row in (await session.execute(statement)).all()]


async def payout_page_for(
    session: AsyncSession, *, partner_id: UUID | None, period: str | None
) -> list[tuple[Payout, CalculationRun]]:
    """Payouts with their runs (payables), by partner."""
    statement = sa.select(Payout, CalculationRun).join(CalculationRun, CalculationRun.id == Payout.run_id)
    if partner_id is not None:
        statement = statement.where(Payout.partner_id == partner_id)
    if period is not None:
        statement = statement.where(CalculationRun.period == period)
    rows = await session.execute(statement.order_by(Payout.partner_id, CalculationRun.period))
    return [(payout, run) for payout, run in rows.all()]

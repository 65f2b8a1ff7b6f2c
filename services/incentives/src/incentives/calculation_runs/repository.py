"""Every query of calculation runs, above all the set-based read of the replica: one SQL pass that filters
the period's eligible lines (tier and status as of each line's day, joined from the date-effective
histories) and sums them per (partner, currency, FX day, held reason, deal flag, SPIFF flags)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
import sqlalchemy.orm
from prm_contracts.incentives import Basis, PayoutStatus, SpiffRule, VersionTerms
from prm_contracts.periods import Period
from prm_contracts.problem import Conflict
from prm_kit.db import ExactDecimal
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.adjustments.repository import clawed_back
from incentives.calculation.reference import FLAGGED, HELD_FLAGS, HOLD_PERIOD, counting_window
from incentives.calculation_runs.models import CalculationRun, Payout
from incentives.replica.models import (
    DealRegistrationState,
    PartnerProfile,
    PartnerStatusPeriod,
    PartnerTierPeriod,
    SalesLine,
)

AMOUNT = ExactDecimal(19, 4)


@dataclass(frozen=True)
class LineGroup:
    """The sums of one group of a partner's eligible lines (amounts signed, in the line currency)."""

    partner_id: UUID
    currency: str
    fx_day: date | None  # None: the programme's own currency, no conversion
    held: str | None
    approved_deal: bool
    spiffs: tuple[int, ...]  # indexes of the SPIFF rules the group's lines fall under
    amount: Decimal
    quantity: Decimal
    deals: int
    lines: int


@dataclass(frozen=True)
class Scope:
    """What a run reads: the version's terms over the period, lines recorded up to `recorded_until`."""

    terms: VersionTerms
    period: Period
    currency: str
    as_of: date
    recorded_until: datetime
    programme_id: UUID | None = None  # set: returns this programme clawed back do not count again


def _day_of(column: Any, dialect: str) -> Any:
    """The UTC calendar day of a stored timestamp."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    return sa.func.date(column)


def tier_on_line_day() -> Any:
    return (
        sa.select(PartnerTierPeriod.tier)
        .where(
            PartnerTierPeriod.partner_id == SalesLine.partner_id,
            PartnerTierPeriod.valid_from <= SalesLine.occurred_on,
        )
        .order_by(PartnerTierPeriod.valid_from.desc())
        .limit(1)
        .scalar_subquery()
    )


def status_on_line_day(dialect: str) -> Any:
    """The status in force at the end of the line's day."""
    return (
        sa.select(PartnerStatusPeriod.status)
        .where(
            PartnerStatusPeriod.partner_id == SalesLine.partner_id,
            _day_of(PartnerStatusPeriod.valid_from, dialect) <= SalesLine.occurred_on,
        )
        .order_by(PartnerStatusPeriod.valid_from.desc())
        .limit(1)
        .scalar_subquery()
    )


def approved_deal() -> Any:
    """The line is linked to a registration of its partner approved on or before the line's day."""
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


def _eligible(scope: Scope, dialect: str) -> list[Any]:
    rules = scope.terms.eligibility
    conditions = _in_window(scope)
    if scope.programme_id is not None:
        conditions.append(sa.not_(clawed_back(scope.programme_id)))
    if rules.tiers is not None:
        conditions.append(tier_on_line_day().in_(rules.tiers))
    if rules.active_at_sale:
        conditions.append(status_on_line_day(dialect) == "active")
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
        conditions.append(approved_deal())
    return conditions


def _held(scope: Scope) -> Any:
    cutoff = scope.as_of - timedelta(days=scope.terms.hold_days)
    return sa.case(
        (SalesLine.flag_status.in_(HELD_FLAGS), sa.literal(FLAGGED)),
        (SalesLine.occurred_on > cutoff, sa.literal(HOLD_PERIOD)),
        else_=sa.null(),
    )


def _spiff_rules(terms: VersionTerms) -> list[tuple[int, SpiffRule]]:
    return [(index, rule) for index, rule in enumerate(terms.rules) if isinstance(rule, SpiffRule)]


async def line_groups(session: AsyncSession, scope: Scope) -> list[LineGroup]:
    """The set-based read: eligible lines of the scope summed per group, in one statement."""
    dialect = session.get_bind().dialect.name
    sale = SalesLine.kind == "sale"
    spiffs = _spiff_rules(scope.terms)
    spiff_columns = [
        sa.case(
            (
                sa.and_(
                    SalesLine.product_sku.in_(rule.skus),
                    SalesLine.occurred_on >= rule.window.from_,
                    SalesLine.occurred_on <= rule.window.to,
                ),
                1,
            ),
            else_=0,
        ).label(f"spiff_{index}")
        for index, rule in spiffs
    ]
    per_line = (
        sa.select(
            SalesLine.partner_id,
            SalesLine.currency,
            sa.case((SalesLine.currency == scope.currency, sa.null()), else_=SalesLine.occurred_on).label(
                "fx_day"
            ),
            _held(scope).label("held"),
            sa.case((approved_deal(), 1), else_=0).label("deal"),
            *spiff_columns,
            sa.case((sale, SalesLine.amount), else_=-SalesLine.amount).label("amount"),
            sa.case((sale, SalesLine.quantity), else_=-SalesLine.quantity).label("quantity"),
            sa.case((sale, 1), else_=-1).label("sign"),
        )
        .select_from(SalesLine)
        .outerjoin(PartnerProfile, PartnerProfile.partner_id == SalesLine.partner_id)
        .where(*_eligible(scope, dialect))
        .subquery("eligible_line")
    )
    keys = [per_line.c.partner_id, per_line.c.currency, per_line.c.fx_day, per_line.c.held, per_line.c.deal]
    keys += [per_line.c[f"spiff_{index}"] for index, _ in spiffs]
    statement = sa.select(
        *keys,
        sa.type_coerce(sa.func.sum(per_line.c.amount), AMOUNT),
        sa.type_coerce(sa.func.sum(per_line.c.quantity), AMOUNT),
        sa.func.sum(per_line.c.sign),
        sa.func.count(),
    ).group_by(*keys)
    groups = []
    width = len(keys)
    for row in (await session.execute(statement)).all():
        flags = row[5:width]
        groups.append(
            LineGroup(
                partner_id=row[0],
                currency=row[1],
                fx_day=_as_date(row[2]),
                held=row[3],
                approved_deal=bool(row[4]),
                spiffs=tuple(index for (index, _), flag in zip(spiffs, flags, strict=True) if flag),
                amount=row[width],
                quantity=row[width + 1],
                deals=int(row[width + 2]),
                lines=int(row[width + 3]),
            )
        )
    return groups


def _as_date(value: Any) -> date | None:
    """SQLite hands a CASE over a date column back as its text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


async def flagged_line_ids(session: AsyncSession, scope: Scope) -> dict[UUID, list[UUID]]:
    """The eligible lines a flag holds, per partner (few: the anomaly guard's open or confirmed flags)."""
    dialect = session.get_bind().dialect.name
    rows = await session.execute(
        sa.select(SalesLine.partner_id, SalesLine.id)
        .select_from(SalesLine)
        .outerjoin(PartnerProfile, PartnerProfile.partner_id == SalesLine.partner_id)
        .where(*_eligible(scope, dialect), SalesLine.flag_status.in_(HELD_FLAGS))
        .order_by(SalesLine.partner_id, SalesLine.id)
    )
    held: dict[UUID, list[UUID]] = {}
    for partner_id, line_id in rows.all():
        held.setdefault(partner_id, []).append(line_id)
    return held


async def partner_lines(session: AsyncSession, scope: Scope, partner_id: UUID) -> Sequence[sa.Row[Any]]:
    """One partner's lines of the period with the facts eligibility is judged on, eligible or not (the
    reference calculator decides): the tier and status as of each line's day and the current profile."""
    dialect = session.get_bind().dialect.name
    statement = (
        sa.select(
            SalesLine,
            tier_on_line_day().label("tier"),
            status_on_line_day(dialect).label("status"),
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


async def foreign_currency_days(session: AsyncSession, scope: Scope) -> dict[str, set[date]]:
    """Per line currency other than the programme's, the days with lines in the window (any eligibility)."""
    rows = await session.execute(
        sa.select(SalesLine.currency, SalesLine.occurred_on)
        .where(*_in_window(scope), SalesLine.currency != scope.currency)
        .distinct()
    )
    days: dict[str, set[date]] = {}
    for currency, day in rows.all():
        days.setdefault(currency, set()).add(day)
    return days


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
        await session.execute(sa.insert(Payout), payouts)


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

"""The set-based read of a run's eligible lines: tier and status as of each line's day (range-joined from the
date-effective histories' intervals), the deal registration, the products, summed per partner and held reason
(and, as the FX rates need, currency and month or day), with the deal and SPIFF sums beside. Two statements
share the work (month_split.py says which takes what): one over the month sums kept beside the lines, one over
the few lines those cannot stand for."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.incentives import (
    Basis,
    DealRegistrationBonusRule,
    SpiffRule,
    VersionTerms,
)
from prm_contracts.periods import Period
from prm_kit.db import ExactDecimal
from prm_kit.db.core import is_postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from incentives.adjustments.repository import clawed_back
from incentives.calculation.reference import FLAGGED, HELD_FLAGS, HOLD_PERIOD, counting_window
from incentives.calculation_runs.month_split import Boundary, Split, next_month
from incentives.replica.models import (
    DealRegistrationState,
    PartnerProfile,
    PartnerStatusPeriod,
    PartnerTierPeriod,
    SalesLine,
)
from incentives.replica.month_sum_models import (
    SalesMonthSum,
    SalesMonthTotal,
    SalesPaidMonthSum,
    SalesPaidMonthTotal,
)
from incentives.replica.regions import region_key
from incentives.replica.repository import (
    holds_on,
    status_intervals,
    status_on_day,
    tier_intervals,
    tier_on,
    utc_day,
)

AMOUNT = ExactDecimal(19, 4)


class SpiffSums(NamedTuple):
    """What a group's lines under one SPIFF rule add up to (signed: a return takes back)."""

    rule: int  # the rule's index in the terms
    units: Decimal
    deals: int


class LineGroup(NamedTuple):
    """The sums of one group of a partner's eligible lines (amounts signed, in the line currency): either from
    the month sums (`month` set) or from lines read one by one."""

    partner_id: UUID
    currency: str
    month: date | None  # from the month sums in a foreign currency: the lines' month (they share one FX rate)
    days: int  # ... and the days of that month with lines, as bits (day d is bit d - 1)
    day: date | None  # read one by one, in a currency other than the programme's: the lines' day
    held: str | None
    flagged_line: UUID | None  # the line's id when a flag holds it (such a line is a group of its own)
    amount: Decimal
    deal_amount: Decimal  # of the lines linked to an approved deal registration
    deal_lines: int
    spiffs: tuple[SpiffSums, ...]  # of the SPIFF rules with lines in the group, by rule index
    lines: int
    late: bool  # from the month sums: some of its lines were recorded after the scope's moment


@dataclass(frozen=True)
class Scope:
    """What a run reads: the version's terms over the period, lines recorded up to `recorded_until`."""

    terms: VersionTerms
    period: Period
    currency: str
    as_of: date
    recorded_until: datetime
    programme_id: UUID | None = None  # set: returns this programme clawed back do not count again


async def run_settings(session: AsyncSession) -> None:
    """PostgreSQL settings for the rest of the run's transaction (SET LOCAL ends with it; SQLite has nothing to
    set). No JIT: it compiles a statement whose estimated cost passes `jit_above_cost` to machine code, and a
    run's reads are such statements that run in a fraction of a second, while the compile alone took longer
    (0.6 s at 200,000 lines on a quiet machine, 2.6 s under load). More `work_mem`: the sums of a run's
    groups (about ten thousand, several NUMERIC sums each) outgrow the default 4 MB, and a hash aggregate
    spilled to disk took longer than reading the rows."""
    if is_postgresql(session):
        await session.execute(sa.text("SET LOCAL jit = off"))
        await session.execute(sa.text("SET LOCAL work_mem = '64MB'"))


def approved_deal() -> Any:
    """The line is linked to a registration of its partner approved on or before the line's day (the
    per-line form, for one partner's trace; the run joins `DealRegistrationState` instead)."""
    return sa.exists().where(
        DealRegistrationState.id == SalesLine.deal_registration_id,
        DealRegistrationState.partner_id == SalesLine.partner_id,
        DealRegistrationState.approved_on.is_not(None),
        DealRegistrationState.approved_on <= SalesLine.occurred_on,
    )


def _in_window(scope: Scope, line: Any = SalesLine) -> list[Any]:
    """The lines (`line`: `SalesLine` or an alias of it) the scope counts by their day and recording."""
    first, end = counting_window(scope.terms, scope.period)
    conditions: list[Any] = [line.recorded_at <= scope.recorded_until]
    if scope.terms.basis is Basis.PAID:
        conditions += [line.payment_status == "paid", line.paid_on >= first, line.paid_on < end]
    else:
        conditions += [line.occurred_on >= first, line.occurred_on < end]
    return conditions


@dataclass(frozen=True)
class _Source:
    """What a read takes its rows from: the lines, or a table of month sums (its rows stand for lines of one
    partner, month, currency, SKU, category and deal registration, so eligibility reads the same columns;
    `day` is the lines' day, or the sums' month: a month whose days would be judged differently is not read
    from the sums, see month_split.py)."""

    table: Any
    partner_id: Any
    day: Any
    currency: Any
    sku: Any
    category: Any
    deal_registration_id: Any


def _lines_source(line: Any) -> _Source:
    """`SalesLine`, or an alias of it, as a source."""
    return _Source(
        line,
        line.partner_id,
        line.occurred_on,
        line.currency,
        line.product_sku,
        line.product_category,
        line.deal_registration_id,
    )


_LINES = _lines_source(SalesLine)


MonthSums = type[SalesMonthSum] | type[SalesPaidMonthSum] | type[SalesMonthTotal] | type[SalesPaidMonthTotal]


def _sums_source(table: MonthSums) -> _Source:
    """A month sums table as a source; the totals have no product or deal (no one reads them from those)."""
    by_product = table is SalesMonthSum or table is SalesPaidMonthSum
    return _Source(
        table,
        table.partner_id,
        table.occurred_month,
        table.currency,
        getattr(table, "product_sku", None) if by_product else None,
        getattr(table, "product_category", None) if by_product else None,
        getattr(table, "deal_registration_id", None) if by_product else None,
    )


def _eligible(scope: Scope, dialect: str, source: _Source, *columns: Any) -> sa.Select[Any]:
    """`columns` of the scope's eligible rows of `source` (the window is the caller's). The tier and status
    as of each row's day come from range joins on the history intervals and the deal registration from a join
    on its key: one pass, never a lookup per row. Each row matches at most one interval and one registration,
    so nothing is counted twice; a row the joins find nothing for is dropped only by the rule that needs it.
    `DealRegistrationState.id` is not null on the rows of an approved registration."""
    rules = scope.terms.eligibility
    conditions: list[Any] = []
    statement = sa.select(*columns).select_from(source.table)
    if rules.partner_types is not None or rules.countries is not None or rules.regions is not None:
        statement = statement.outerjoin(PartnerProfile, PartnerProfile.partner_id == source.partner_id)
    if _reads_deals(scope.terms):
        statement = statement.outerjoin(
            DealRegistrationState,
            sa.and_(
                DealRegistrationState.id == source.deal_registration_id,
                DealRegistrationState.partner_id == source.partner_id,
                DealRegistrationState.approved_on.is_not(None),
                DealRegistrationState.approved_on <= source.day,
            ),
        )
    if rules.tiers is not None:
        tier = tier_intervals()
        statement = statement.join(tier, holds_on(tier, source.partner_id, source.day))
        conditions.append(tier.c.tier.in_(rules.tiers))
    if rules.active_at_sale:
        status = status_intervals(dialect)
        statement = statement.join(status, holds_on(status, source.partner_id, source.day))
        conditions.append(status.c.status == "active")
    if rules.partner_types is not None:
        conditions.append(PartnerProfile.partner_type.in_([t.value for t in rules.partner_types]))
    if rules.countries is not None:
        conditions.append(PartnerProfile.country.in_(rules.countries))
    if rules.regions is not None:
        conditions.append(PartnerProfile.region_key.in_(sorted({region_key(r) for r in rules.regions})))
    if rules.categories_included is not None:
        conditions.append(source.category.in_(rules.categories_included))
    if rules.categories_excluded:
        conditions.append(source.category.not_in(rules.categories_excluded))
    if rules.skus_included is not None:
        conditions.append(source.sku.in_(rules.skus_included))
    if rules.skus_excluded:
        conditions.append(source.sku.not_in(rules.skus_excluded))
    if rules.registered_deals_only:
        conditions.append(DealRegistrationState.id.is_not(None))
    return statement.where(*conditions)


def _not_clawed_back(programme_id: UUID) -> Any:
    """The line is not a return a clawback of the programme took back already (as NOT IN: PostgreSQL hashes
    the few clawed lines once, where NOT EXISTS against a table it believes empty became a probe per line)."""
    return SalesLine.id.not_in(clawed_back(programme_id))


def _returns_naming_sales(scope: Scope) -> tuple[Any, Any, list[Any]]:
    """Fresh aliases of a return or credit note of the scope's window and of the sale it names (same partner,
    `original_external_id`), with the conditions pairing them."""
    returned = aliased(SalesLine, name="returned_line")
    sale = aliased(SalesLine, name="original_sale")
    conditions = [
        returned.kind != "sale",
        returned.original_external_id.is_not(None),
        *_in_window(scope, returned),
        sale.partner_id == returned.partner_id,
        sale.external_id == returned.original_external_id,
        sale.kind == "sale",
    ]
    return returned, sale, conditions


def returns_of_unpaid_sales(scope: Scope, dialect: str) -> sa.Select[Any]:
    """SQL: (`id`, `partner_id`, `day`) of the scope's returns and credit notes whose original sale will never
    be paid: the terms' eligibility excludes it on its own day (its tier, status, deal registration then), or
    its flag was confirmed. They count nowhere (`reference.follows_unpaid_sale`, the same rule a line at a
    time). Uncorrelated throughout (`correlate(None)`): it is nested in statements over the same tables."""
    returned, sale, pairing = _returns_naming_sales(scope)
    _, named_sale, named_pairing = _returns_naming_sales(scope)
    candidate = aliased(SalesLine, name="named_sale")
    named = sa.select(named_sale.id).where(*named_pairing).correlate(None)
    eligible_sales = (
        _eligible(scope, dialect, _lines_source(candidate), candidate.id)
        .where(candidate.id.in_(named))
        .correlate(None)
    )
    return (
        sa.select(returned.id, returned.partner_id, returned.occurred_on.label("day"))
        .where(*pairing, sa.or_(sale.flag_status == "confirmed", sale.id.not_in(eligible_sales)))
        .correlate(None)
    )


def _not_following_unpaid_sale(scope: Scope, dialect: str) -> Any:
    """The line is not a return of a sale that will never be paid."""
    unpaid = returns_of_unpaid_sales(scope, dialect).subquery("return_of_unpaid_sale")
    return SalesLine.id.not_in(sa.select(unpaid.c.id).correlate(None))


def _reads_deals(terms: VersionTerms) -> bool:
    """Whether anything of the terms looks at a line's deal registration (else the join is left out and the
    deal sums are 0: nothing reads them)."""
    return terms.eligibility.registered_deals_only or any(
        isinstance(rule, DealRegistrationBonusRule) for rule in terms.rules
    )


def _spiff_rules(terms: VersionTerms) -> list[tuple[int, SpiffRule]]:
    return [(index, rule) for index, rule in enumerate(terms.rules) if isinstance(rule, SpiffRule)]


async def boundaries(session: AsyncSession, scope: Scope) -> list[Boundary]:
    """The days from which a partner's lines fare differently in the scope (tier and status changes when
    eligibility reads them, approvals of deal registrations when a rule does) and the days of its returns that
    count nowhere (the programme clawed them back, or their sale will never be paid), up to the window's end:
    what keeps a partner's month from being read as one sum. One statement over the histories, which are small
    beside the lines, and the returns naming a sale."""
    dialect = session.get_bind().dialect.name
    first, end = counting_window(scope.terms, scope.period)
    # on the paid basis a line of any earlier month may be paid in the window
    since = None if scope.terms.basis is Basis.PAID else first
    rules = scope.terms.eligibility

    def of(partner_id: Any, day: Any, *conditions: Any, whole_month: bool = False) -> sa.Select[Any]:
        bounds = [day < end] if since is None else [day >= since, day < end]
        return sa.select(partner_id, day.label("day"), sa.literal(whole_month).label("whole_month")).where(
            *conditions, *bounds
        )

    parts = []
    if rules.tiers is not None:
        parts.append(of(PartnerTierPeriod.partner_id, PartnerTierPeriod.valid_from))
    if rules.active_at_sale:
        parts.append(of(PartnerStatusPeriod.partner_id, utc_day(PartnerStatusPeriod.valid_from, dialect)))
    if _reads_deals(scope.terms):
        approved = DealRegistrationState.approved_on
        parts.append(of(DealRegistrationState.partner_id, approved, approved.is_not(None)))
    if scope.programme_id is not None:
        clawed = SalesLine.id.in_(clawed_back(scope.programme_id))
        parts.append(of(SalesLine.partner_id, SalesLine.occurred_on, clawed, whole_month=True))
    # already within the window (on the paid basis by their payment day, whatever day they occurred on)
    unpaid = returns_of_unpaid_sales(scope, dialect).subquery("return_of_unpaid_sale")
    parts.append(sa.select(unpaid.c.partner_id, unpaid.c.day, sa.literal(True).label("whole_month")))
    connection = await session.connection()
    rows = await connection.execute(parts[0] if len(parts) == 1 else sa.union_all(*parts))
    found = []
    for partner_id, day, whole_month in rows.all():
        on = _as_date(day)
        assert on is not None
        found.append(Boundary(_as_uuid(partner_id) or partner_id, on, bool(whole_month)))
    return found


def _held(scope: Scope, day: Any) -> Any:
    """The hold reason of a line or month sum by its day (a month whose days differ is never a sum)."""
    cutoff = scope.as_of - timedelta(days=scope.terms.hold_days)
    return sa.case((day > cutoff, sa.literal(HOLD_PERIOD)), else_=sa.null())


def _held_by_flag() -> Any:
    """Rendered with its values, so that PostgreSQL sees the partial index of such lines applies."""
    return SalesLine.flag_status.in_([sa.literal_column(f"'{flag}'") for flag in HELD_FLAGS])


def _one_by_one(split: Split) -> Any:
    """The lines the month sums do not stand for (the complement of `month_groups`' rows): the ones a flag
    holds, and those of the split's partial, split and FX months and cells: ranges of indexes."""
    day = SalesLine.occurred_on

    def month(column: Any, first: date) -> Any:
        return sa.and_(column >= first, column < next_month(first))

    window_day = SalesLine.paid_on if split.paid_basis else day
    return sa.or_(
        _held_by_flag(),
        *[month(window_day, first) for first in sorted(split.partial)],
        *[month(day, first) for first in sorted(split.months)],
        *[
            sa.and_(SalesLine.partner_id.in_(keys), month(day, first))
            for first, keys in _by_month(split.cells).items()
        ],
        *[
            sa.and_(SalesLine.currency.in_(keys), month(day, first))
            for first, keys in _by_month(split.fx).items()
        ],
    )


def _sums_table(scope: Scope, split: Split) -> tuple[MonthSums, Any]:
    """The month sums a scope reads, and its window column: by product and deal only when the terms look at
    them (else by currency only, about a tenth of the rows); by paid month on the paid basis."""
    terms = scope.terms
    rules = terms.eligibility
    by_product = (
        rules.categories_included is not None
        or bool(rules.categories_excluded)
        or rules.skus_included is not None
        or bool(rules.skus_excluded)
        or _reads_deals(terms)
        or bool(_spiff_rules(terms))
    )
    if split.paid_basis:
        paid = SalesPaidMonthSum if by_product else SalesPaidMonthTotal
        return paid, paid.paid_month
    table = SalesMonthSum if by_product else SalesMonthTotal
    return table, table.occurred_month


def _by_month(cells: Collection[tuple[Any, date]]) -> dict[date, list[Any]]:
    """Cells (partner or currency, month) per month: a month's partners then make one IN list, which
    PostgreSQL hashes (a list of row values it compares one by one, for every row)."""
    grouped: dict[date, list[Any]] = defaultdict(list)
    for key, month in sorted(cells):
        grouped[month].append(key)
    return grouped


def _sums_conditions(table: MonthSums, window: Any, split: Split, *, cells: bool = True) -> list[Any]:
    """The month sums the split lets stand for their lines (see month_split.py); `cells=False` leaves the
    partners' and currencies' cells in (a superset: what may need FX rates)."""
    conditions = [window.in_(split.whole)]
    if split.months:
        conditions.append(table.occurred_month.not_in(sorted(split.months)))
    if cells:
        for column, split_cells in ((table.partner_id, split.cells), (table.currency, split.fx)):
            conditions += [
                sa.not_(sa.and_(table.occurred_month == month, column.in_(keys)))
                for month, keys in _by_month(split_cells).items()
            ]
    return conditions


async def foreign_months(session: AsyncSession, scope: Scope, split: Split) -> set[tuple[str, date]]:
    """The (currency, month) of the sums the split allows in currencies other than the programme's: the FX
    rates to judge before the sums are read (from the totals, which have the same months as the sums by
    product, in a tenth of the rows)."""
    if not split.whole:
        return set()
    table: MonthSums = SalesPaidMonthTotal if split.paid_basis else SalesMonthTotal
    window = SalesPaidMonthTotal.paid_month if split.paid_basis else SalesMonthTotal.occurred_month
    rows = await session.execute(
        sa.select(table.currency, table.occurred_month)
        .where(*_sums_conditions(table, window, split, cells=False), table.currency != scope.currency)
        .distinct()
    )
    return {(currency, _as_date(month) or month) for currency, month in rows.all()}


class MonthSumsRead(NamedTuple):
    groups: list[LineGroup]
    days: dict[tuple[str, date], int]  # per foreign (currency, month): the days with eligible lines, as bits
    unrated: set[tuple[str, date]]  # foreign (currency, month) with eligible sums but no factor


async def month_groups(
    session: AsyncSession, scope: Scope, split: Split, factors: dict[tuple[str, date], Decimal]
) -> MonthSumsRead:
    """The eligible lines the month sums stand for (see month_split.py) in one statement over the sums, with
    the days of their foreign-currency months. `factors` converts each foreign (currency, month) whose days
    share one FX rate; a month without one (it came in since the rates were judged) is left out and named
    in the days, for the caller to read line by line. `late` marks groups holding a line recorded after the
    scope.

    PostgreSQL converts in NUMERIC (exact, and the same digits as Decimal) and sums per partner and held
    reason: about one group per partner. SQLite has no exact decimal arithmetic: its groups are per partner,
    currency, month and held reason (and days: it has no bit_or), converted by the caller."""
    if not split.whole:
        return MonthSumsRead([], {}, set())
    dialect = session.get_bind().dialect.name
    table, window = _sums_table(scope, split)
    source = _sums_source(table)
    reads_deals = _reads_deals(scope.terms)
    spiffs = _spiff_rules(scope.terms)
    foreign = table.currency != scope.currency
    amount: Any = table.amount
    if dialect == "postgresql":  # NULL for a month without a factor: counted by `unrated` below
        amount = table.amount * sa.case(
            (~foreign, sa.literal(Decimal(1))),
            *[
                (sa.and_(table.currency == currency, table.occurred_month == month), sa.literal(value))
                for (currency, month), value in sorted(factors.items())
            ],
            else_=sa.null(),
        )
    # the conditions of the deal and SPIFF sums are columns, each evaluated once, the sums FILTERed by them
    columns = [
        table.partner_id,
        table.currency,
        table.occurred_month.label("month"),
        sa.case((foreign, table.days), else_=0).label("days"),
        _held(scope, table.occurred_month).label("held"),
        amount.label("amount"),
        table.lines,
        table.quantity,
        table.signed_lines,
        sa.case((table.last_recorded_at > scope.recorded_until, 1), else_=0).label("late"),
        *([DealRegistrationState.id.is_not(None).label("deal")] if reads_deals else []),
        *[_in_spiff(rule, source).label(f"spiff_{index}") for index, rule in spiffs],
    ]
    per_sum = (
        _eligible(scope, dialect, source, *columns)
        .where(*_sums_conditions(table, window, split))
        .subquery("month_sum")
    )
    c = per_sum.c
    sums = [
        _exact_sum(c.amount, dialect),
        _exact_sum(c.amount, dialect, where=c.deal) if reads_deals else sa.literal(0),
        sa.func.sum(c.lines).filter(c.deal) if reads_deals else sa.literal(0),
        sa.func.sum(c.lines),
        sa.func.max(c.late),
    ]
    for index, _ in spiffs:
        under = c[f"spiff_{index}"]
        sums += [
            _exact_sum(c.quantity, dialect, where=under),
            sa.func.sum(c.signed_lines).filter(under),
            sa.func.sum(c.lines).filter(under),
        ]
    connection = await session.connection()
    days: dict[tuple[str, date], int] = defaultdict(int)
    unrated: set[tuple[str, date]] = set()
    groups = []
    if dialect == "postgresql":
        # one pass, two groupings: per partner and held reason (the sums, converted), and per foreign
        # (currency, month) (their days: the rates the run used)
        by_partner = (c.partner_id, c.held)
        by_month = (c.currency, c.month)
        statement = sa.select(
            *by_partner,
            *by_month,
            sa.func.grouping(c.partner_id),
            sa.func.bit_or(c.days),
            sa.func.count() - sa.func.count(c.amount),
            *sums,
        ).group_by(sa.func.grouping_sets(sa.tuple_(*by_partner), sa.tuple_(*by_month)))
        for row in (await connection.execute(statement)).all():
            if row[4]:  # the (currency, month) grouping
                if row[2] != scope.currency:
                    days[(row[2], row[3])] |= int(row[5])
                    if row[6]:
                        unrated.add((row[2], row[3]))
                continue
            groups.append(
                _month_group(row, 7, spiffs, partner_id=row[0], currency=scope.currency, held=row[1])
            )
        return MonthSumsRead(groups, dict(days), unrated)
    keys = [c.partner_id, c.currency, c.month, c.held, c.days]
    statement = sa.select(*keys, *sums).group_by(*keys)
    for row in (await connection.execute(statement)).all():
        currency, month = row[1], _as_date(row[2])
        assert month is not None
        if currency != scope.currency:
            days[(currency, month)] |= int(row[4])
            if (currency, month) not in factors:
                unrated.add((currency, month))
        groups.append(
            _month_group(
                row,
                5,
                spiffs,
                partner_id=row[0],
                currency=currency,
                held=row[3],
                month=month if currency != scope.currency else None,
            )
        )
    return MonthSumsRead(groups, dict(days), unrated)


def _month_group(
    row: Any,
    at: int,
    spiffs: list[tuple[int, SpiffRule]],
    *,
    partner_id: UUID,
    currency: str,
    held: str | None,
    month: date | None = None,
) -> LineGroup:
    """A group of month sums from its row's sums, which start at column `at` (a FILTERed sum over no row is
    NULL)."""
    return LineGroup(
        partner_id=partner_id,
        currency=currency,
        month=month,
        days=0,
        day=None,
        held=held,
        flagged_line=None,
        amount=row[at],
        deal_amount=Decimal(0) if row[at + 1] is None else row[at + 1],  # a zero keeps its digits
        deal_lines=int(row[at + 2] or 0),
        spiffs=_spiffs_of(row, at + 5, spiffs),
        lines=int(row[at + 3]),
        late=bool(row[at + 4]),
    )


async def late_cells(
    session: AsyncSession, scope: Scope, split: Split, partners: Collection[UUID]
) -> set[tuple[UUID, date]]:
    """The (partner, month) of these partners' month sums in the split that hold a line recorded after the
    scope: to be read line by line."""
    table, window = _sums_table(scope, split)
    rows = await session.execute(
        sa.select(table.partner_id, table.occurred_month)
        .where(
            *_sums_conditions(table, window, split),
            table.partner_id.in_(sorted(partners)),
            table.last_recorded_at > scope.recorded_until,
        )
        .distinct()
    )
    return {(partner, month) for partner, month in rows.all()}


async def line_groups(session: AsyncSession, scope: Scope, split: Split) -> list[LineGroup]:
    """The eligible lines the month sums do not stand for (`_one_by_one`), read one by one and summed per
    partner, currency, day (of a foreign currency: its FX rate), held reason and flagged line in one
    statement. A line a flag holds is a group of its own (few: the anomaly guard's open or confirmed flags),
    so the same pass names them."""
    dialect = session.get_bind().dialect.name
    sale = SalesLine.kind == "sale"
    spiffs = _spiff_rules(scope.terms)
    amount = sa.case((sale, SalesLine.amount), else_=-SalesLine.amount)
    quantity = sa.case((sale, SalesLine.quantity), else_=-SalesLine.quantity)
    sign = sa.case((sale, 1), else_=-1)
    deal = DealRegistrationState.id.is_not(None) if _reads_deals(scope.terms) else sa.false()
    held_by_flag = _held_by_flag()
    conditions = [*_in_window(scope), _one_by_one(split), _not_following_unpaid_sale(scope, dialect)]
    if scope.programme_id is not None:
        conditions.append(_not_clawed_back(scope.programme_id))
    per_line = (
        _eligible(
            scope,
            dialect,
            _LINES,
            SalesLine.partner_id,
            SalesLine.currency,
            sa.case((SalesLine.currency == scope.currency, sa.null()), else_=SalesLine.occurred_on).label(
                "day"
            ),
            sa.case((held_by_flag, sa.literal(FLAGGED)), else_=_held(scope, SalesLine.occurred_on)).label(
                "held"
            ),
            sa.case((held_by_flag, SalesLine.id), else_=sa.null()).label("flagged_line"),
            amount.label("amount"),
            sa.case((deal, amount), else_=0).label("deal_amount"),
            sa.case((deal, 1), else_=0).label("deal_lines"),
            *[
                column
                for index, rule in spiffs
                for column in _spiff_columns(index, rule, _LINES, units=quantity, deals=sign, lines=1)
            ],
        )
        .where(*conditions)
        .subquery("eligible_line")
    )
    keys = [
        per_line.c.partner_id,
        per_line.c.currency,
        per_line.c.day,
        per_line.c.held,
        per_line.c.flagged_line,
    ]
    sums = [
        _exact_sum(per_line.c.amount, dialect),
        _exact_sum(per_line.c.deal_amount, dialect),
        sa.func.sum(per_line.c.deal_lines),
        sa.func.count(),
        *_spiff_sums(per_line, spiffs, dialect),
    ]
    # Core execution: the rows are plain tuples, and the ORM's result machinery cost more than the query
    connection = await session.connection()
    rows = (await connection.execute(sa.select(*keys, *sums).group_by(*keys))).all()
    return [
        LineGroup(
            partner_id=row[0],
            currency=row[1],
            month=None,
            days=0,
            day=_as_date(row[2]),
            held=row[3],
            flagged_line=_as_uuid(row[4]),
            amount=row[5],
            deal_amount=row[6],
            deal_lines=int(row[7]),
            spiffs=_spiffs_of(row, 9, spiffs),
            lines=int(row[8]),
            late=False,
        )
        for row in rows
    ]


def _in_spiff(rule: SpiffRule, source: Any) -> Any:
    """The row is of the SPIFF rule's SKUs and in its window (a month sum: the month is, whole)."""
    return sa.and_(source.sku.in_(rule.skus), source.day >= rule.window.from_, source.day <= rule.window.to)


def _spiff_columns(
    index: int, rule: SpiffRule, source: _Source, *, units: Any, deals: Any, lines: Any
) -> list[Any]:
    """The row's units, signed deal count and line count under the SPIFF rule (0 outside it)."""
    under = _in_spiff(rule, source)
    return [
        sa.case((under, units), else_=0).label(f"spiff_{index}_units"),
        sa.case((under, deals), else_=0).label(f"spiff_{index}_deals"),
        sa.case((under, lines), else_=0).label(f"spiff_{index}_lines"),
    ]


def _spiff_sums(rows: Any, spiffs: list[tuple[int, SpiffRule]], dialect: str) -> list[Any]:
    sums = []
    for index, _ in spiffs:
        sums += [
            _exact_sum(rows.c[f"spiff_{index}_units"], dialect),
            sa.func.sum(rows.c[f"spiff_{index}_deals"]),
            sa.func.sum(rows.c[f"spiff_{index}_lines"]),
        ]
    return sums


def _spiffs_of(row: Any, at: int, spiffs: list[tuple[int, SpiffRule]]) -> tuple[SpiffSums, ...]:
    """The SPIFF sums of a group row from column `at` on, of the rules with lines in the group."""
    if not spiffs:
        return ()
    return tuple(
        SpiffSums(index, row[at + 3 * n], int(row[at + 1 + 3 * n]))
        for n, (index, _) in enumerate(spiffs)
        if row[at + 2 + 3 * n]
    )


def _exact_sum(column: Any, dialect: str, *, where: Any = None) -> Any:
    """SUM of an amount column (over the rows `where` holds): on SQLite the scaled integers, read back through
    the column type; PostgreSQL's NUMERIC sum of 4-place values is already the exact Decimal, read as it is
    (converting tens of thousands of sums again was a visible share of a run)."""
    total = sa.func.sum(column) if where is None else sa.func.sum(column).filter(where)
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


def _with_facts(dialect: str) -> sa.Select[Any]:
    """Lines with the facts eligibility is judged on: the tier and status as of each line's day and the
    current profile, looked up per line (a second way to the answer the run's range joins give)."""
    return (
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
    )


async def partner_lines(session: AsyncSession, scope: Scope, partner_id: UUID) -> Sequence[sa.Row[Any]]:
    """One partner's lines of the period with their facts, eligible or not (the reference calculator
    decides); a partner's lines are few."""
    dialect = session.get_bind().dialect.name
    statement = (
        _with_facts(dialect)
        .where(SalesLine.partner_id == partner_id, *_in_window(scope))
        .order_by(SalesLine.id)
    )
    rows: Sequence[sa.Row[Any]] = (await session.execute(statement)).all()
    return rows


async def sales_with_facts(
    session: AsyncSession, partner_id: UUID, external_ids: Collection[str]
) -> Sequence[sa.Row[Any]]:
    """The partner's sales of these external ids with their facts (the sales its returns name)."""
    if not external_ids:
        return []
    return await _rows_with_facts(
        session,
        SalesLine.partner_id == partner_id,
        SalesLine.kind == "sale",
        SalesLine.external_id.in_(sorted(set(external_ids))),
    )


async def lines_with_facts(session: AsyncSession, line_ids: Collection[UUID]) -> dict[UUID, sa.Row[Any]]:
    """The given lines with their facts, by id (the sales returns name, to judge whether a run paid them)."""
    if not line_ids:
        return {}
    rows = await _rows_with_facts(session, SalesLine.id.in_(sorted(set(line_ids))))
    return {row.SalesLine.id: row for row in rows}


async def _rows_with_facts(session: AsyncSession, *conditions: Any) -> Sequence[sa.Row[Any]]:
    statement = _with_facts(session.get_bind().dialect.name).where(*conditions)
    rows: Sequence[sa.Row[Any]] = (await session.execute(statement)).all()
    return rows

"""Calculation runs: a programme version's payouts for one period, computed set-based.

The eligible lines are read summed: from the month sums kept beside the replica's lines wherever a month's
lines all fare alike, one by one elsewhere (month_split.py, line_sums.py). The FX
rates of the sums' foreign months are asked of analytics first (a month whose rate changes within it is read
line by line), those of the lines read one by one after; the targets come in one call; nothing is written
before all that. The rules, caps, floors and budget are applied to the sums in exact Decimal (calculation/);
then the run and its payouts are written at once. The same inputs (version, period, `as_of`, replica lines
recorded up to the run, rates, targets) give the same result. A draft is replaced by running the period
again; an approved or paid run is locked. Per-line traces are derived on read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any
from uuid import UUID, uuid4

from prm_contracts.analytics import FxRateUsed, TargetMetric
from prm_contracts.clients.analytics import AnalyticsClient
from prm_contracts.incentives import (
    AcceleratorRule,
    CalculationRunIn,
    CalculationRunOut,
    FxRateApplied,
    LineContribution,
    MissingFxRate,
    PayoutLineOut,
    PayoutOut,
    PayoutStatus,
    RuleAmount,
    RuleKind,
    RunStatus,
    RunTotals,
    VersionStatus,
)
from prm_contracts.money import Money, minor_unit
from prm_contracts.pagination import Page
from prm_contracts.periods import Period, PeriodKind, parse_period
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, NotFound, UnprocessableContent
from prm_kit.db import bump_version
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.adjustments import corrections
from incentives.adjustments import repository as adjustments_repository
from incentives.calculation.reference import LineFacts, counting_window, reference_calculation
from incentives.calculation.rounding import PRECISION
from incentives.calculation.rules import PartnerVolumes, RuleResult, rule_plan, rule_results
from incentives.calculation.settle import Settlement, settle
from incentives.calculation.trace import traced
from incentives.calculation_runs import line_sums, month_split, repository
from incentives.calculation_runs.fx import FxSeries, rate_table
from incentives.calculation_runs.line_sums import LineGroup, Scope
from incentives.calculation_runs.models import CalculationRun, Payout
from incentives.calculation_runs.month_split import Split
from incentives.calculation_runs.paid_lines import line_facts
from incentives.programmes import repository as programmes
from incentives.programmes.models import Programme, ProgrammeVersion
from incentives.programmes.schemas import terms_of
from incentives.programmes.service import visible_programme

RUN_ORDER = "-created_at"
LINE_ORDER = "line_id"


class NoVersionInPeriod(UnprocessableContent):
    slug, title = "no-programme-version-in-period", "No published programme version in the period"


class PeriodTypeMismatch(UnprocessableContent):
    slug, title = "period-type-mismatch", "Period does not match the programme's period type"


class FxRatesMissing(UnprocessableContent):
    slug, title = "fx-rates-missing", "FX rates missing"


class RunLocked(Conflict):
    slug, title = "calculation-run-locked", "Calculation run is approved"


class RunStatusConflict(Conflict):
    slug, title = "calculation-run-status", "Calculation run is not in the state this needs"


class TraceInputsChanged(Conflict):
    slug, title = "trace-inputs-changed", "The run's lines changed since it was computed"


def _amount(value: Decimal) -> str:
    return format(value, "f")


def _money(value: Decimal, currency: str) -> Money:
    """A stored amount (4 places in the column) in the currency's minor unit, as it was rounded."""
    return Money(amount=value.quantize(minor_unit(currency)), currency=currency)


async def _version_for(
    session: AsyncSession, programme: Programme, number: int | None, period: Period
) -> ProgrammeVersion:
    if number is not None:
        version = await programmes.version(session, programme.id, number)
        if version is None:
            raise NotFound(f"programme {programme.name!r} has no version {number}")
        if version.status != VersionStatus.PUBLISHED.value:
            raise NoVersionInPeriod(
                f"version {number} of {programme.name!r} is a draft; publish it to run it"
            )
        last = version.effective_to
        if version.effective_from > period.last_day or (last is not None and last < period.first_day):
            raise NoVersionInPeriod(
                f"version {number} of {programme.name!r} is not effective in {period.label}"
            )
        return version
    found = await programmes.published_overlapping(session, programme.id, period.first_day, period.last_day)
    if not found:
        raise NoVersionInPeriod(f"no published version of {programme.name!r} is effective in {period.label}")
    if len(found) > 1:
        raise NoVersionInPeriod(
            f"versions {', '.join(str(v.number) for v in found)} of {programme.name!r} are each effective in part "
            f"of {period.label}; name the one to run with `version`",
            versions=[v.number for v in found],
        )
    return found[0]


def _period_of(programme: Programme, label: str) -> Period:
    period = parse_period(label)
    if period.kind is not PeriodKind(programme.period_type):
        raise PeriodTypeMismatch(
            f"{programme.name!r} pays per {programme.period_type}; {label} is a {period.kind.value}"
        )
    return period


async def _targets(
    analytics: AnalyticsClient, partners: list[UUID], period: Period, currency: str
) -> tuple[dict[UUID, Decimal], list[MissingFxRate]]:
    """Each partner's revenue target of the period in the programme's currency (converted at the rate in
    force on the period's last day); a partner without one has none. Every partner's targets come in one
    call, and each target currency's rate in one more."""
    wanted = set(partners)
    found: dict[UUID, Money] = {}
    for stored in await analytics.targets_for_period(period.label):
        if stored.metric is TargetMetric.REVENUE and stored.partner_id in wanted:
            found.setdefault(stored.partner_id, stored.target)
    rates: dict[str, FxRateUsed | None] = {}
    targets: dict[UUID, Decimal] = {}
    missing: list[MissingFxRate] = []
    for partner in partners:
        target = found.get(partner)
        if target is None:
            continue
        if target.currency == currency:
            targets[partner] = target.amount
            continue
        if target.currency not in rates:
            try:
                rates[target.currency] = await analytics.fx_rate(target.currency, currency, period.last_day)
            except NotFound:
                rates[target.currency] = None
        rate = rates[target.currency]
        if rate is None:
            missing.append(MissingFxRate(currency=target.currency, day=period.last_day))
            continue
        # unrounded, by the factor the lines use (nothing is rounded until the payout)
        targets[partner] = rate.convert_exact(target.amount)
    return targets, missing


@dataclass
class _Partner:
    volumes: PartnerVolumes
    held_lines: int = 0
    held_volume: Decimal = Decimal(0)


def _partners(
    groups: list[LineGroup],
    currency: str,
    rates: dict[tuple[str, date], Decimal],
    factors: dict[tuple[str, date], Decimal],
) -> dict[UUID, _Partner]:
    """The groups' sums folded per partner, converted into the programme's currency (PostgreSQL's month sums
    are converted already): a group's lines share one factor (their day's, or their month's from `factors`),
    so its sum converts exactly as its lines would one by one."""
    partners: dict[UUID, _Partner] = defaultdict(lambda: _Partner(PartnerVolumes()))
    one = Decimal(1)
    with localcontext() as context:
        context.prec = PRECISION
        for group in groups:
            partner = partners[group.partner_id]
            if group.currency == currency:
                rate = one
            elif group.month is not None:
                rate = factors[(group.currency, group.month)]
            else:
                assert group.day is not None
                rate = rates[(group.currency, group.day)]
            converted = group.amount * rate
            if group.held is not None:
                partner.held_lines += group.lines
                partner.held_volume += converted
                continue
            volumes = partner.volumes
            volumes.volume += converted
            volumes.lines += group.lines
            if group.deal_lines:
                volumes.deal_volume += group.deal_amount * rate
            for spiff in group.spiffs:
                volumes.spiff_units[spiff.rule] = (
                    volumes.spiff_units.get(spiff.rule, Decimal(0)) + spiff.units
                )
                volumes.spiff_deals[spiff.rule] = volumes.spiff_deals.get(spiff.rule, 0) + spiff.deals
    return dict(partners)


def _foreign_days(
    month_days: dict[tuple[str, date], int], lines: list[LineGroup], currency: str
) -> dict[str, set[date]]:
    """Per currency other than the programme's, the days of the eligible lines read: the FX rates the run
    used (from the months' days of the sums and the days of the lines read one by one)."""
    days: dict[str, set[date]] = defaultdict(set)
    for (foreign, month), bits in month_days.items():
        days[foreign].update(month_split.month_days(month, bits))
    for group in lines:
        if group.currency != currency and group.day is not None:
            days[group.currency].add(group.day)
    return dict(days)


async def _read(
    session: AsyncSession, fx: FxSeries, scope: Scope, split: Split
) -> tuple[line_sums.MonthSumsRead, list[LineGroup], dict[tuple[str, date], Decimal]]:
    """The scope's eligible lines, summed: from the month sums the split allows, and one by one. First the FX
    rates of the sums' foreign months: a month whose rate changes within it is read line by line (its lines
    convert day by day); then the sums, converted. A sum holding a line recorded after the run's moment is
    not what the run may count, nor one of a month whose rate was not judged (it came in meanwhile): that
    month is read line by line instead, and the sums again (each round moves at least one, so it ends).
    Returns the sums, the lines' groups and the factors of the months the sums stand for."""
    first, end = counting_window(scope.terms, scope.period)
    span = (first, end - timedelta(days=1))
    while True:
        months = await line_sums.foreign_months(session, scope, split)
        factors, uneven = await fx.month_factors(months, span)
        split = split.with_fx(uneven)
        sums = await line_sums.month_groups(session, scope, split, factors)
        late = [group for group in sums.groups if group.late]
        if not late and not sums.unrated:
            return sums, await line_sums.line_groups(session, scope, split), factors
        cells = {(group.partner_id, group.month) for group in late if group.month is not None}
        spanning = {group.partner_id for group in late if group.month is None}
        if spanning:  # a group over several months: find the late ones
            cells |= await line_sums.late_cells(session, scope, split, spanning)
        moved = split.with_cells(cells).with_fx(sums.unrated)
        # the sums changed under the read (lines written meanwhile): read every line one by one
        split = moved if moved != split else split.lines_only()


def _breakdown(
    partner: _Partner, results: list[RuleResult], settlement: Settlement, flagged: list[UUID]
) -> dict[str, Any]:
    return {
        "earned": _amount(settlement.earned),
        "unrounded": _amount(settlement.unrounded),
        "volume": _amount(partner.volumes.volume),
        "lines": partner.volumes.lines,
        "held_lines": partner.held_lines,
        "held_volume": _amount(partner.held_volume),
        "target": None if partner.volumes.target is None else _amount(partner.volumes.target),
        "rules": [
            {"rule": r.rule, "kind": r.kind.value, "amount": _amount(r.amount), "band": r.band}
            for r in results
        ],
        "cap_floor_factor": None
        if settlement.cap_floor_factor is None
        else _amount(settlement.cap_floor_factor),
        "budget_factor": None if settlement.budget_factor is None else _amount(settlement.budget_factor),
        "flagged_lines": [str(line) for line in flagged],
    }


@dataclass
class Computation:
    """A version's payouts over a period, computed and not stored: what a run stores and a backtest compares."""

    partners: dict[UUID, _Partner]
    results: dict[UUID, list[RuleResult]]
    settlements: dict[UUID, Settlement]
    budget_factor: Decimal | None
    applied: list[FxRateApplied]
    targets: dict[UUID, Decimal]
    flagged: dict[UUID, list[UUID]]


async def compute(
    session: AsyncSession,
    analytics: AnalyticsClient,
    scope: Scope,
    *,
    targets: dict[UUID, Decimal] | None = None,
) -> Computation:
    """The set-based calculation of `scope` (read-only). `targets` given (a locked run's stored ones) are used
    as they are; otherwise analytics is asked. 422 `fx-rates-missing` when a rate is missing."""
    terms, period, currency = scope.terms, scope.period, scope.currency
    await line_sums.run_settings(session)
    split = month_split.split_of(terms, period, scope.as_of, await line_sums.boundaries(session, scope))
    fx = FxSeries(analytics, currency)
    sums, lines, factors = await _read(session, fx, scope, split)
    days = _foreign_days(sums.days, lines, currency)
    applied, missing = await fx.applied(days) if days else ([], [])
    groups = sums.groups + lines
    partners = _partners(groups, currency, rate_table(applied), factors) if not missing else {}
    if targets is None:
        targets = {}
        if any(isinstance(rule, AcceleratorRule) for rule in terms.rules):
            payable = sorted(p for p, facts in partners.items() if facts.volumes.lines)
            targets, missing_for_targets = await _targets(analytics, payable, period, currency)
            missing += missing_for_targets
    if missing:
        listed = ", ".join(f"{m.currency} on {m.day}" for m in missing[:20])
        raise FxRatesMissing(
            f"no FX rate into {currency} for {len(missing)} (currency, day): {listed}; load them into "
            "analytics and run again",
            missing=[m.model_dump(mode="json") for m in missing],
        )
    flagged = line_sums.flagged_line_ids(groups)
    results = {}
    plan = rule_plan(terms)
    for partner_id, partner in partners.items():
        partner.volumes.target = targets.get(partner_id)
        results[partner_id] = rule_results(terms, partner.volumes, plan)
    settlements, budget_factor = settle(terms, currency, results)
    return Computation(partners, results, settlements, budget_factor, applied, targets, flagged)


async def calculate(
    session: AsyncSession,
    body: CalculationRunIn,
    analytics: AnalyticsClient,
    *,
    actor: Principal,
    now: datetime,
) -> tuple[CalculationRun, bool]:
    """The run of the programme for the period, computed (or recomputed when a draft exists); True when it is
    new. Reads first, then asks analytics, then writes: nothing is stored when anything fails. The period's
    adjustments (manual, and the clawbacks and deltas this run finds) are added to the payouts."""
    actor.require_vendor("run calculations")
    await line_sums.run_settings(session)
    programme = await visible_programme(session, body.programme_id)
    period = _period_of(programme, body.period)
    version = await _version_for(session, programme, body.version, period)
    existing = await repository.run_for_period(session, programme.id, period.label)
    _ensure_draft(existing)
    if existing is not None and await repository.decided_payouts(session, existing.id):
        raise RunLocked(
            f"some payouts of the {period.label} run are approved or held already; release them to run again",
            run_id=str(existing.id),
        )
    scope = Scope(terms_of(version), period, programme.currency, body.as_of or now.date(), now, programme.id)
    # corrections first: the returns they claw back then drop out of this period's volume
    carried = await corrections.found(session, analytics, programme, scope, compute, now=now)
    await corrections.replace(session, programme, period.label, carried, now=now)
    found = await compute(session, analytics, scope)
    run = await _stored_run(session, existing, programme, version, period, scope, actor=actor, now=now)
    adjusted = await adjustments_repository.totals(session, programme.id, period.label)
    run.fx_rates = [rate.model_dump(mode="json") for rate in found.applied]
    run.targets = {str(partner): _amount(target) for partner, target in sorted(found.targets.items())}
    run.budget_factor = None if found.budget_factor is None else _amount(found.budget_factor)
    rows = [
        _payout_row(run.id, programme.currency, partner_id, found, adjusted.get(partner_id, Decimal(0)))
        for partner_id in sorted(set(found.settlements) | set(adjusted))
    ]
    run.payout_total = sum((row["amount"] for row in rows), Decimal(0))
    run.mdf_accrual_total = sum((row["mdf_accrual"] for row in rows), Decimal(0))
    run.partner_count = len(rows)
    run.held_lines = sum(p.held_lines for p in found.partners.values())
    await session.flush()
    await repository.replace_payouts(session, run.id, rows)
    return run, existing is None


_NOTHING = Settlement(
    earned=Decimal(0),
    unrounded=Decimal(0),
    amount=Decimal(0),
    mdf_accrual=Decimal(0),
    cap_floor_factor=None,
    budget_factor=None,
)


def _payout_row(
    run_id: UUID, currency: str, partner_id: UUID, found: Computation, adjusted: Decimal
) -> dict[str, Any]:
    """A payout: what the rules paid plus the period's adjustments (a partner may have only adjustments)."""
    settlement = found.settlements.get(partner_id, _NOTHING)
    partner = found.partners.get(partner_id) or _Partner(PartnerVolumes())
    return {
        "run_id": run_id,
        "partner_id": partner_id,
        "calculated": settlement.amount,
        "amount": settlement.amount + adjusted,
        "mdf_accrual": settlement.mdf_accrual,
        "currency": currency,
        "status": PayoutStatus.PENDING.value,
        "breakdown": _breakdown(
            partner,
            found.results.get(partner_id, []),
            settlement,
            found.flagged.get(partner_id, []),
        ),
    }


def _ensure_draft(run: CalculationRun | None) -> None:
    if run is not None and run.status != RunStatus.DRAFT.value:
        raise RunLocked(
            f"the run of {run.period} is {run.status} and locked; its payouts never change",
            run_id=str(run.id),
        )


async def _stored_run(
    session: AsyncSession,
    existing: CalculationRun | None,
    programme: Programme,
    version: ProgrammeVersion,
    period: Period,
    scope: Scope,
    *,
    actor: Principal,
    now: datetime,
) -> CalculationRun:
    if existing is None:
        run = CalculationRun(
            id=uuid4(),
            programme_id=programme.id,
            status=RunStatus.DRAFT.value,
            currency=programme.currency,
            period=period.label,
            first_day=period.first_day,
            end_day=period.end,
            version=1,
            created_at=now,
        )
    else:
        run = existing
    run.version_id = version.id
    run.version_number = version.number
    run.as_of = scope.as_of
    run.computed_by = actor.subject
    run.computed_at = now
    run.updated_at = now
    run.fx_rates, run.targets = [], {}
    run.payout_total = run.mdf_accrual_total = Decimal(0)
    run.partner_count = run.held_lines = 0
    if existing is None:
        await repository.add(session, run)
    else:
        await bump_version(session, run, at=now)
    return run


def run_out(run: CalculationRun, programme: Programme) -> CalculationRunOut:
    return CalculationRunOut(
        id=run.id,
        programme_id=run.programme_id,
        programme_name=programme.name,
        version_number=run.version_number,
        period=run.period,
        first_day=run.first_day,
        last_day=parse_period(run.period).last_day,
        as_of=run.as_of,
        status=RunStatus(run.status),
        totals=RunTotals(
            partners=run.partner_count,
            payout=_money(run.payout_total, run.currency),
            mdf_accrual=_money(run.mdf_accrual_total, run.currency),
            held_lines=run.held_lines,
        ),
        budget_factor=run.budget_factor,
        fx_rates=[FxRateApplied.model_validate(rate) for rate in run.fx_rates],
        computed_by=run.computed_by,
        computed_at=run.computed_at,
        approved_by=run.approved_by,
        approved_at=run.approved_at,
        paid_by=run.paid_by,
        paid_at=run.paid_at,
        version=run.version,
        created_at=run.created_at,
        updated_at=run.updated_at,
    )


async def visible_run(
    session: AsyncSession, run_id: UUID, *, for_update: bool = False
) -> tuple[CalculationRun, Programme]:
    run = await repository.run_by_id(session, run_id, for_update=for_update)
    if run is None:
        raise NotFound(f"no calculation run {run_id}")
    return run, await visible_programme(session, run.programme_id)


async def run_answer(session: AsyncSession, run_id: UUID, *, actor: Principal) -> CalculationRunOut:
    actor.require_vendor("read whole calculation runs (read your payouts instead)")
    run, programme = await visible_run(session, run_id)
    return run_out(run, programme)


async def list_runs(
    session: AsyncSession, *, programme_id: UUID | None, limit: int, cursor: str | None, actor: Principal
) -> Page[CalculationRunOut]:
    actor.require_vendor("list calculation runs (read your payouts instead)")
    after = keyset_position(cursor, RUN_ORDER, datetime)
    runs = await repository.run_page(session, programme_id=programme_id, after=after, limit=limit + 1)
    names = {run.programme_id: await visible_programme(session, run.programme_id) for run in runs}
    return page_of(
        runs,
        limit,
        out=lambda run: run_out(run, names[run.programme_id]),
        cursor_of=lambda run: keyset_cursor(RUN_ORDER, run.created_at, run.id),
    )


def payout_out(payout: Payout) -> PayoutOut:
    breakdown = payout.breakdown
    target = breakdown["target"]
    return PayoutOut(
        run_id=payout.run_id,
        partner_id=payout.partner_id,
        amount=_money(payout.amount, payout.currency),
        mdf_accrual=_money(payout.mdf_accrual, payout.currency),
        unrounded=breakdown["unrounded"],
        volume=breakdown["volume"],
        lines=breakdown["lines"],
        held_lines=breakdown["held_lines"],
        held_volume=breakdown["held_volume"],
        target=None if target is None else _money(Decimal(target), payout.currency),
        rules=[RuleAmount(rule=r["rule"], kind=r["kind"], amount=r["amount"]) for r in breakdown["rules"]],
        cap_floor_factor=breakdown["cap_floor_factor"],
        budget_factor=breakdown["budget_factor"],
    )


async def list_payouts(
    session: AsyncSession, run_id: UUID, *, limit: int, cursor: str | None, actor: Principal
) -> Page[PayoutOut]:
    """A run's payouts by partner id; a partner's credential sees its own only."""
    run, _ = await visible_run(session, run_id)
    position = keyset_position(cursor, "partner_id", str)
    rows = await repository.payout_page(
        session, run.id, partner_id=actor.partner_id, after=position.id if position else None, limit=limit + 1
    )
    return page_of(
        rows,
        limit,
        out=payout_out,
        cursor_of=lambda p: keyset_cursor("partner_id", str(p.partner_id), p.partner_id),
    )


async def visible_payout(
    session: AsyncSession, run_id: UUID, partner_id: UUID, actor: Principal
) -> tuple[CalculationRun, Payout]:
    run, _ = await visible_run(session, run_id)
    if actor.partner_id is not None and actor.partner_id != partner_id:
        raise NotFound(f"no payout of partner {partner_id} in run {run_id}")
    payout = await repository.payout(session, run.id, partner_id)
    if payout is None:
        raise NotFound(f"no payout of partner {partner_id} in run {run_id}")
    return run, payout


async def payout_lines(
    session: AsyncSession, run_id: UUID, partner_id: UUID, *, limit: int, cursor: str | None, actor: Principal
) -> Page[PayoutLineOut]:
    """The payout's lines, each with its contribution to each rule: the reference calculator over the
    partner's lines and the run's stored inputs, the rounded payout allocated over them (calculation/trace)."""
    run, payout = await visible_payout(session, run_id, partner_id, actor)
    version = await programmes.version_by_id(session, run.version_id)
    terms = terms_of(version)
    period = parse_period(run.period)
    scope = Scope(terms, period, run.currency, run.as_of, run.computed_at)
    rates = rate_table([FxRateApplied.model_validate(rate) for rate in run.fx_rates])
    flagged = set(payout.breakdown["flagged_lines"])
    clawed = await adjustments_repository.clawed_line_ids(session, run.programme_id, except_period="")
    facts = [
        line_facts(row, rates, run.currency, flagged)
        for row in await line_sums.partner_lines(session, scope, partner_id)
        if row.SalesLine.id not in clawed
    ]
    target = run.targets.get(str(partner_id))
    targets = {partner_id: Decimal(target)} if target is not None else {}
    named = {f.original_external_id for f in facts if f.kind != "sale" and f.original_external_id is not None}
    originals = {
        (partner_id, row.SalesLine.external_id): line_facts(row, rates, run.currency, None)
        for row in await line_sums.sales_with_facts(session, partner_id, named)
    }
    reference = reference_calculation(terms, period, run.as_of, facts, targets, originals).get(partner_id)
    stored = [(r["rule"], Decimal(r["amount"])) for r in payout.breakdown["rules"]]
    derived = [(r.rule, r.amount) for r in reference.results] if reference else []
    if derived != stored:
        raise TraceInputsChanged(
            "the partner's lines or history changed since the run was computed (a late line, a payment or a "
            "back-dated change); run the period again to trace the new figures"
            if run.status == RunStatus.DRAFT.value
            else "the partner's lines or history changed since this locked run; differences belong to a later run"
        )
    assert reference is not None or not stored
    by_line: dict[UUID, list[tuple[Any, Decimal]]] = defaultdict(list)
    for contribution, share in traced(
        reference.contributions if reference else [], payout.calculated, payout.mdf_accrual, run.currency
    ):
        by_line[contribution.line_id].append((contribution, share))
    shown = [
        f
        for f in facts
        if reference and (f.id in reference.held or any(line.id == f.id for line in reference.lines))
    ]
    position = keyset_position(cursor, LINE_ORDER, str)
    shown = [f for f in shown if position is None or str(f.id) > str(position.id)]
    shown.sort(key=lambda f: str(f.id))
    held = reference.held if reference else {}
    return page_of(
        shown[: limit + 1],
        limit,
        out=lambda f: _line_out(f, by_line.get(f.id, []), held.get(f.id), run.currency),
        cursor_of=lambda f: keyset_cursor(LINE_ORDER, str(f.id), f.id),
    )


def _line_out(
    facts: LineFacts, shares: list[tuple[Any, Decimal]], held: str | None, currency: str
) -> PayoutLineOut:
    return PayoutLineOut(
        line_id=facts.id,
        external_id=facts.external_id,
        kind=facts.kind,
        occurred_on=facts.occurred_on,
        product_sku=facts.sku,
        quantity=_amount(facts.quantity),
        amount=Money(amount=facts.sign * facts.amount, currency=facts.currency),
        fx_rate=_amount(facts.fx_rate),
        converted=_amount(facts.converted),
        held=held,
        contributions=[
            LineContribution(
                rule=c.rule,
                kind=RuleKind(c.kind),
                band=c.band,
                rate=None if c.rate is None else _amount(c.rate),
                amount=_amount(share),
            )
            for c, share in shares
        ],
        payout=_amount(sum((share for c, share in shares if c.kind is not RuleKind.MDF_ACCRUAL), Decimal(0))),
    )

"""What-if: two programme versions (stored, draft included, or terms given inline) computed over the same
past period with the set-based calculator of runs (calculation_runs.service.compute), compared, and nothing
stored. The same replica lines, FX rates and targets feed both sides, so the difference is the rules'."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from prm_contracts.clients.analytics import AnalyticsClient
from prm_contracts.clients.registry import RegistryClient
from prm_contracts.incentives import BacktestIn, BacktestOut, BacktestPartner, BacktestSide, VersionTerms
from prm_contracts.money import Money
from prm_contracts.periods import Period
from prm_contracts.principal import Principal
from prm_contracts.problem import NotFound
from prm_kit.db.types import NumberOutOfRange
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.calculation_runs.line_sums import Scope
from incentives.calculation_runs.service import _period_of, compute
from incentives.programmes import repository as programmes
from incentives.programmes.models import Programme
from incentives.programmes.schemas import terms_of
from incentives.programmes.service import visible_programme
from incentives.programmes.tiers import check_tiers


async def _terms(session: AsyncSession, programme: Programme, side: BacktestSide) -> VersionTerms:
    if side.terms is not None:
        return side.terms
    assert side.version is not None
    version = await programmes.version(session, programme.id, side.version)
    if version is None:
        raise NotFound(f"programme {programme.name!r} has no version {side.version}")
    return terms_of(version)


async def _payouts(
    session: AsyncSession,
    analytics: AnalyticsClient,
    programme: Programme,
    terms: VersionTerms,
    period: Period,
    as_of: datetime,
    body: BacktestIn,
) -> dict[UUID, Decimal]:
    scope = Scope(terms, period, programme.currency, body.as_of or as_of.date(), as_of, programme.id)
    found = await compute(session, analytics, scope)
    return {partner: settlement.amount for partner, settlement in found.settlements.items()}


def _total(amount: Decimal, currency: str) -> Money:
    """A total as Money; one beyond what an amount holds is the 422 a run gets for storing it (nothing is
    stored here either way)."""
    try:
        return Money(amount=amount, currency=currency)
    except ValidationError as error:
        raise NumberOutOfRange(f"a total of {amount} {currency} does not fit an amount") from error


async def backtest(
    session: AsyncSession,
    body: BacktestIn,
    analytics: AnalyticsClient,
    registry: RegistryClient,
    *,
    actor: Principal,
    now: datetime,
) -> BacktestOut:
    """Candidate against baseline: totals, each partner's delta (candidate - baseline) and the partners who
    gain and lose most (ties by partner id). Read-only."""
    actor.require_vendor("run backtests")
    programme = await visible_programme(session, body.programme_id)
    for name, side in (("baseline", body.baseline), ("candidate", body.candidate)):
        if side.terms is not None:
            await check_tiers(session, registry, side.terms, ["body", name, "terms"])
    period = _period_of(programme, body.period)
    candidate_terms = await _terms(session, programme, body.candidate)
    baseline_terms = await _terms(session, programme, body.baseline)
    candidate = await _payouts(session, analytics, programme, candidate_terms, period, now, body)
    baseline = await _payouts(session, analytics, programme, baseline_terms, period, now, body)
    rows = []
    for partner in sorted(set(candidate) | set(baseline)):
        old, new = baseline.get(partner, Decimal(0)), candidate.get(partner, Decimal(0))
        rows.append(
            BacktestPartner(
                partner_id=partner,
                baseline=format(old, "f"),
                candidate=format(new, "f"),
                delta=format(new - old, "f"),
            )
        )
    currency = programme.currency
    old_total = sum(baseline.values(), Decimal(0))
    new_total = sum(candidate.values(), Decimal(0))
    by_delta = sorted(rows, key=lambda r: (Decimal(r.delta), str(r.partner_id)))
    gainers = sorted(rows, key=lambda r: (-Decimal(r.delta), str(r.partner_id)))
    return BacktestOut(
        programme_id=programme.id,
        period=period.label,
        currency=currency,
        baseline_total=_total(old_total, currency),
        candidate_total=_total(new_total, currency),
        delta_total=_total(new_total - old_total, currency),
        partners=rows,
        top_gainers=[r for r in gainers if Decimal(r.delta) > 0][: body.top],
        top_losers=[r for r in by_delta if Decimal(r.delta) < 0][: body.top],
    )

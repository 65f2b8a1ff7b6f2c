"""The FX rates a run converts with, read from analytics before the run writes anything.

Lines are converted per day: a line of day d in a foreign currency uses the rate in force on d, taken from
the pair line→programme currency or, when only the reverse pair has a rate (or a more recent one), its
inverse rounded half-even to 10 places. The rate used is a factor, so a line's converted amount is the exact
product amount * rate and a group's sum converts exactly as its lines do. A day without any rate is
reported, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from prm_contracts.analytics import FxRateOut
from prm_contracts.clients.analytics import AnalyticsClient
from prm_contracts.incentives import FxRateApplied, MissingFxRate

INVERSE_PLACES = Decimal(1).scaleb(-10)


@dataclass(frozen=True)
class _Stored:
    effective_on: date
    rate: Decimal
    inverted: bool


def _in_force(series: list[FxRateOut], day: date, inverted: bool) -> _Stored | None:
    candidates = [r for r in series if r.effective_on <= day]
    if not candidates:
        return None
    latest = max(candidates, key=lambda r: r.effective_on)
    return _Stored(latest.effective_on, latest.rate, inverted)


def choose(direct: list[FxRateOut], reverse: list[FxRateOut], day: date) -> _Stored | None:
    """The stored rate in force on `day`: the more recent of the pair's and the reverse pair's (the pair's
    on a tie)."""
    found = [s for s in (_in_force(direct, day, False), _in_force(reverse, day, True)) if s is not None]
    if not found:
        return None
    return max(found, key=lambda s: (s.effective_on, not s.inverted))


def factor(stored: _Stored) -> Decimal:
    if not stored.inverted:
        return stored.rate
    with localcontext() as context:
        context.prec = 40
        return (Decimal(1) / stored.rate).quantize(INVERSE_PLACES, rounding=ROUND_HALF_EVEN)


async def rates_for(
    analytics: AnalyticsClient, programme_currency: str, days: dict[str, set[date]]
) -> tuple[list[FxRateApplied], list[MissingFxRate]]:
    """The rate of every (currency, day) needed, and what is missing."""
    applied: list[FxRateApplied] = []
    missing: list[MissingFxRate] = []
    for currency in sorted(days):
        needed = sorted(days[currency])
        direct = await analytics.fx_rates(currency, programme_currency, needed[0], needed[-1])
        reverse = await analytics.fx_rates(programme_currency, currency, needed[0], needed[-1])
        for day in needed:
            stored = choose(direct, reverse, day)
            if stored is None:
                missing.append(MissingFxRate(currency=currency, day=day))
                continue
            applied.append(
                FxRateApplied(
                    currency=currency,
                    day=day,
                    rate=format(factor(stored), "f"),
                    effective_on=stored.effective_on,
                    inverted=stored.inverted,
                )
            )
    return applied, missing


def rate_table(applied: list[FxRateApplied]) -> dict[tuple[str, date], Decimal]:
    return {(rate.currency, rate.day): Decimal(rate.rate) for rate in applied}

"""The FX rates a run converts with, read from analytics before the run writes anything.

Lines are converted per day: a line of day d in a foreign currency uses the rate in force on d, taken from
the pair line→programme currency or, when only the reverse pair has a rate (or a more recent one), its
inverse rounded half-even to 10 places. The rate used is a factor, so a line's converted amount is the exact
product amount * rate and a group's sum converts exactly as its lines do. A day without any rate is
reported, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
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


class FxSeries:
    """The stored rates of each currency into the programme's currency, fetched once per run over the days it
    needs, the pair and the reverse pair (a day's rate is the same whichever range was asked, as long as it
    holds the day), so that a month can be judged before its lines are read."""

    def __init__(self, analytics: AnalyticsClient, programme_currency: str) -> None:
        self._analytics = analytics
        self._quote = programme_currency
        self._series: dict[str, tuple[date, date, list[FxRateOut], list[FxRateOut]]] = {}

    async def cover(self, currency: str, first: date, last: date) -> None:
        """Make sure the rates of `currency` from `first` to `last` are here."""
        held = self._series.get(currency)
        if held is not None and held[0] <= first and last <= held[1]:
            return
        if held is not None:
            first, last = min(first, held[0]), max(last, held[1])
        direct = await self._analytics.fx_rates(currency, self._quote, first, last)
        reverse = await self._analytics.fx_rates(self._quote, currency, first, last)
        self._series[currency] = (first, last, direct, reverse)

    def on(self, currency: str, day: date) -> _Stored | None:
        _, _, direct, reverse = self._series[currency]
        return choose(direct, reverse, day)

    async def month_factors(
        self, months: set[tuple[str, date]], span: tuple[date, date]
    ) -> tuple[dict[tuple[str, date], Decimal], set[tuple[str, date]]]:
        """Per (currency, month): the factor of every day of the month when it is one and the same; else (the
        rate changes within the month, or some day has none) the month is `uneven`: its lines are converted
        day by day. `span` is the range of days the run will need, fetched at once."""
        by_currency: dict[str, list[date]] = {}
        for currency, month in months:
            by_currency.setdefault(currency, []).append(month)
        factors: dict[tuple[str, date], Decimal] = {}
        uneven: set[tuple[str, date]] = set()
        for currency, firsts in sorted(by_currency.items()):
            ends = [_month_end(month) for month in firsts]
            await self.cover(currency, min(span[0], *firsts), max(span[1], *ends))
            for month, end in zip(firsts, ends, strict=True):
                found = {self.on(currency, month + timedelta(days=n)) for n in range((end - month).days + 1)}
                # one and the same factor, digit for digit: the sums then convert as each line would
                chosen = {format(factor(stored), "f") if stored is not None else None for stored in found}
                if len(chosen) == 1 and None not in chosen:
                    factors[(currency, month)] = Decimal(str(chosen.pop()))
                else:
                    uneven.add((currency, month))
        return factors, uneven

    async def applied(self, days: dict[str, set[date]]) -> tuple[list[FxRateApplied], list[MissingFxRate]]:
        """The rate of every (currency, day) needed, and what is missing."""
        applied: list[FxRateApplied] = []
        missing: list[MissingFxRate] = []
        for currency in sorted(days):
            needed = sorted(days[currency])
            await self.cover(currency, needed[0], needed[-1])
            for day in needed:
                stored = self.on(currency, day)
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


def _month_end(month: date) -> date:
    """The last day of the month starting on `month`."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def rate_table(applied: list[FxRateApplied]) -> dict[tuple[str, date], Decimal]:
    return {(rate.currency, rate.day): Decimal(rate.rate) for rate in applied}

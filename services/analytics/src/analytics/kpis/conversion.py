"""Amounts of several currencies into one, with the stored FX rates, remembering every rate used.

The rule: an amount of a period is converted at the rate in force on the period's **last day** (one rate per
currency and period, not one per day), so a snapshot names few rates and a period's figure does not move with
the day a line fell on. A rate is the pair's own or the inverse of the reverse pair's (fx/conversion.py); a
missing one is reported as `fx_rate_missing: USD→EUR on 2026-07-31`, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Context, Decimal

from prm_contracts.analytics import FxRateUsed, round_money
from prm_contracts.kpis import FxRateApplied
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.fx import service as fx
from analytics.kpis.formulas import Missing
from analytics.kpis.repository import SalesTotals

# sums of unrounded conversions (40 digits each) stay exact well past any amount a partner can have
_SUM = Context(prec=60)


class Converter:
    """Into `currency`, for one request; a rate looked up once per (currency, day)."""

    def __init__(self, session: AsyncSession, currency: str) -> None:
        self._session = session
        self.currency = currency
        self._rates: dict[tuple[str, date], FxRateUsed | Missing] = {}

    async def rate(self, base: str, on: date) -> FxRateUsed | Missing:
        key = (base, on)
        if key not in self._rates:
            try:
                self._rates[key] = await fx.rate_for(self._session, base, self.currency, on)
            except fx.FxRateMissing:
                self._rates[key] = Missing(f"fx_rate_missing: {base}→{self.currency} on {on.isoformat()}")
        return self._rates[key]

    async def amount(self, amount: Decimal, base: str, on: date) -> Decimal | Missing:
        """One amount converted and rounded (`round_money`): a target, a spend."""
        rate = await self.rate(base, on)
        return rate if isinstance(rate, Missing) else rate.convert(amount)

    async def _unrounded(self, amount: Decimal, base: str, on: date) -> Decimal | Missing:
        rate = await self.rate(base, on)
        return rate if isinstance(rate, Missing) else rate.convert_unrounded(amount)

    async def total(self, by_currency: Mapping[str, Decimal], on: date) -> Decimal | Missing:
        """The sum of amounts in several currencies, converted in full precision and rounded once, so a
        partner's revenue is the same figure wherever it is shown (snapshot, leaderboard, segments)."""
        exact = Decimal(0)
        for currency in sorted(by_currency):
            converted = await self._unrounded(by_currency[currency], currency, on)
            if isinstance(converted, Missing):
                return converted
            exact = _SUM.add(exact, converted)
        return round_money(exact)

    async def totals(self, by_currency: Mapping[str, SalesTotals], on: date) -> SalesTotals | Missing:
        """The sum of every currency's totals, converted in full precision and not rounded: a KPI made of
        them (revenue = gross - returns, gross profit, a ratio) is rounded once, when shown (formulas.py).
        Missing names the first rate lacking."""
        result = SalesTotals()
        for currency in sorted(by_currency):
            totals = by_currency[currency]
            rate = await self.rate(currency, on)
            if isinstance(rate, Missing):
                return rate
            convert = rate.convert_unrounded
            result = SalesTotals(
                _SUM.add(result.gross, convert(totals.gross)),
                _SUM.add(result.returns, convert(totals.returns)),
                _SUM.add(result.costed_amount, convert(totals.costed_amount)),
                _SUM.add(result.cost_amount, convert(totals.cost_amount)),
                result.line_count + totals.line_count,
                result.costed_line_count + totals.costed_line_count,
            )
        return result

    def applied(self) -> list[FxRateApplied]:
        """The stored rates used (rate 1 of a currency into itself is not listed), by currency and day, each
        once: the rate in force on the last days of a span and of the span before is often the same one."""
        used: dict[tuple[str, str, Decimal, date], FxRateApplied] = {}
        for _, rate in sorted(self._rates.items(), key=lambda item: item[0]):
            if isinstance(rate, Missing) or rate.effective_on is None:
                continue
            used.setdefault(
                (rate.base, rate.quote, rate.rate, rate.effective_on),
                FxRateApplied(
                    base=rate.base,
                    quote=rate.quote,
                    rate=format(rate.rate, "f"),
                    effective_on=rate.effective_on,
                ),
            )
        return list(used.values())

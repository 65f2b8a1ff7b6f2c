"""Amounts of several currencies into one, with the stored FX rates, remembering every rate used.

The rule: an amount of a period is converted at the rate in force on the period's **last day** (one rate per
currency and period, not one per day), so a snapshot names few rates and a period's figure does not move with
the day a line fell on. A rate is the pair's own or the inverse of the reverse pair's (fx/conversion.py); a
missing one is reported as `fx_rate_missing: USD→EUR on 2026-07-31`, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from prm_contracts.analytics import FxRateUsed
from prm_contracts.kpis import FxRateApplied
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.fx import service as fx
from analytics.kpis.formulas import Missing
from analytics.kpis.repository import SalesTotals


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
        rate = await self.rate(base, on)
        return rate if isinstance(rate, Missing) else rate.convert(amount)

    async def totals(self, by_currency: Mapping[str, SalesTotals], on: date) -> SalesTotals | Missing:
        """The sum of every currency's totals, converted; Missing names the first rate lacking."""
        result = SalesTotals()
        for currency in sorted(by_currency):
            totals = by_currency[currency]
            rate = await self.rate(currency, on)
            if isinstance(rate, Missing):
                return rate
            convert = rate.convert
            result = SalesTotals(
                result.gross + convert(totals.gross),
                result.returns + convert(totals.returns),
                result.costed_amount + convert(totals.costed_amount),
                result.cost_amount + convert(totals.cost_amount),
                result.line_count + totals.line_count,
                result.costed_line_count + totals.costed_line_count,
            )
        return result

    def applied(self) -> list[FxRateApplied]:
        """The stored rates used (rate 1 of a currency into itself is not listed), by currency and day."""
        used = [
            FxRateApplied(
                base=rate.base, quote=rate.quote, rate=format(rate.rate, "f"), effective_on=rate.effective_on
            )
            for _, rate in sorted(self._rates.items(), key=lambda item: item[0])
            if not isinstance(rate, Missing) and rate.effective_on is not None
        ]
        return used

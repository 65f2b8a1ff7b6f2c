"""Typed client of the analytics service's endpoints that other services call.

Services call analytics' `/internal` endpoints with their internal credential; each method answers a contract
model or raises the AppError of analytics' problem (404 `NotFound` when no rate covers the day).
"""

from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from prm_contracts.analytics import FxRateOut, FxRateUsed, TargetOut
from prm_contracts.clients.base import ServiceClient
from prm_contracts.kpis import KpiSnapshot
from prm_contracts.problem import BadGateway

T = TypeVar("T")

_RATES = TypeAdapter(list[FxRateOut])
_TARGETS = TypeAdapter(list[TargetOut])


class AnalyticsClient(ServiceClient):
    service = "analytics"

    async def fx_rate(self, base: str, quote: str, on: date) -> FxRateUsed:
        """The rate converting `base` to `quote` on `on` (the pair's, or the inverse of the reverse pair's),
        with the date it holds from; 404 `NotFound` when neither pair has a rate on or before `on`."""
        params = {"base": base, "quote": quote, "on": on.isoformat()}
        return await self._json("GET", "/internal/fx-rates/lookup", FxRateUsed, params=params)

    async def fx_rates(self, base: str, quote: str, first_day: date, last_day: date) -> list[FxRateOut]:
        """The stored rates of the pair `base`/`quote` effective from `first_day` to `last_day` (inclusive),
        oldest first, plus the one in force on `first_day` if it starts earlier."""
        params = {"base": base, "quote": quote, "from": first_day.isoformat(), "to": last_day.isoformat()}
        return await self._list(_RATES, "/internal/fx-rates", params)

    async def targets(self, partner_id: UUID, period: str | None = None) -> list[TargetOut]:
        """The partner's targets, of one period (`2026`, `2026-Q3`, `2026-07`) or all of them."""
        params = {"period": period} if period is not None else {}
        return await self._list(_TARGETS, f"/internal/partners/{partner_id}/targets", params)

    async def targets_for_period(self, period: str) -> list[TargetOut]:
        """Every partner's targets of one period (`2026`, `2026-Q3`, `2026-07`), in one call."""
        return await self._list(_TARGETS, "/internal/targets", {"period": period})

    async def kpi_snapshot(
        self,
        partner_id: UUID,
        *,
        period: str | None = None,
        first_day: date | None = None,
        last_day: date | None = None,
        currency: str | None = None,
    ) -> KpiSnapshot:
        """The partner's KPIs over a period label (`2026-Q3`) or an explicit inclusive range, in `currency`
        (default: the partner's own); 404 `NotFound` for a partner analytics has never heard of."""
        params: dict[str, str] = {}
        if period is not None:
            params["period"] = period
        if first_day is not None:
            params["from"] = first_day.isoformat()
        if last_day is not None:
            params["to"] = last_day.isoformat()
        if currency is not None:
            params["currency"] = currency
        return await self._json("GET", f"/internal/partners/{partner_id}/kpis", KpiSnapshot, params=params)

    async def _list(self, adapter: TypeAdapter[list[T]], path: str, params: dict[str, Any]) -> list[T]:
        response = await self._send("GET", path, params=params)
        try:
            return adapter.validate_json(response.content)
        except ValidationError as exc:
            raise BadGateway(f"{self.service} answered with a body that breaks the contract") from exc

"""Analytics as scoring reaches it, over `httpx.MockTransport`: the KPI snapshots a test puts in it, built
from the contract model (`prm_contracts.kpis.KpiSnapshot`); any other request is a 404 problem, as the real
analytics answers for a partner it never heard of, and a range longer than it reads is its 422."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import httpx
from prm_contracts.kpis import KPI_RANGE_MAX_DAYS, Kpi, KpiSnapshot
from prm_contracts.problem import PROBLEM_MEDIA_TYPE

_KPIS = re.compile(r"^/internal/partners/([0-9a-f-]{36})/kpis$")
KPI_FIELDS = [name for name, info in KpiSnapshot.model_fields.items() if info.annotation in (Kpi, "Kpi")]


def kpi_snapshot(
    partner_id: UUID,
    first_day: date,
    last_day: date,
    *,
    period: str | None = None,
    currency: str = "EUR",
    last_sale_on: date | None = None,
    **values: str | None,
) -> KpiSnapshot:
    """A snapshot with the KPIs given (decimal strings); every other KPI null with the reason `not_in_test`."""
    kpis = {
        name: Kpi(value=None, reason="not_in_test")
        if values.get(name) is None
        else Kpi.model_validate({"value": values[name]})
        for name in KPI_FIELDS
    }
    return KpiSnapshot(
        partner_id=partner_id,
        period=period,
        first_day=first_day,
        last_day=last_day,
        currency=currency,
        last_sale_on=last_sale_on,
        **kpis,
    )


@dataclass
class FakeAnalytics:
    """Snapshots by (partner, `period` label or `from..to`); the currency asked is answered as given."""

    snapshots: dict[tuple[str, str], KpiSnapshot] = field(default_factory=dict)
    reachable: bool = True
    requests: list[str] = field(default_factory=list)

    def add(self, snapshot: KpiSnapshot) -> None:
        key = snapshot.period or f"{snapshot.first_day}..{snapshot.last_day}"
        self.snapshots[(str(snapshot.partner_id), key)] = snapshot

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if not self.reachable:
            raise httpx.ConnectError("analytics is not running", request=request)
        self.requests.append(f"{request.method} {request.url.path}?{request.url.query.decode()}")
        params = request.url.params
        if match := _KPIS.match(request.url.path):
            if params.get("from") and params.get("to"):
                span = date.fromisoformat(params["to"]) - date.fromisoformat(params["from"])
                if span.days >= KPI_RANGE_MAX_DAYS:  # as analytics refuses it, naming its own parameter
                    return _range_refused()
            key = params.get("period") or f"{params.get('from')}..{params.get('to')}"
            found = self.snapshots.get((match.group(1), key))
            if found is not None:
                currency = params.get("currency") or found.currency
                body: dict[str, Any] = found.model_dump(mode="json") | {"currency": currency}
                return httpx.Response(200, json=body)
        problem = {
            "type": "/problems/not-found",
            "title": "Not found",
            "status": 404,
            "detail": "no such KPIs",
        }
        return httpx.Response(404, content=json.dumps(problem), headers={"content-type": PROBLEM_MEDIA_TYPE})


def _range_refused() -> httpx.Response:
    detail = f"a range may span at most {KPI_RANGE_MAX_DAYS} days"
    problem = {
        "type": "/problems/validation-error",
        "title": "Validation error",
        "status": 422,
        "detail": detail,
        "errors": [{"loc": ["query", "to"], "msg": detail, "type": "date_range"}],
    }
    return httpx.Response(422, content=json.dumps(problem), headers={"content-type": PROBLEM_MEDIA_TYPE})

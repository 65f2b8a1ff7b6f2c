"""`AnalyticsClient`, the way incentives and scoring read rates and targets, against the service itself."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest
from prm_contracts.analytics import FxRateUsed
from prm_contracts.clients import AnalyticsClient
from prm_contracts.problem import NotFound

from ..sales.fakes import FakeRegistry

pytestmark = pytest.mark.asyncio


async def test_rates_and_targets_come_back_as_contract_models(
    registry: FakeRegistry, client: httpx.AsyncClient
) -> None:
    partner = registry.partner_without_secrets()
    await client.post(
        "/v1/fx-rates",
        json={
            "rates": [
                {"base": "EUR", "quote": "USD", "rate": "1.08", "effective_on": "2026-07-01"},
                {"base": "EUR", "quote": "USD", "rate": "1.10", "effective_on": "2026-07-02"},
            ]
        },
    )
    await client.put(
        f"/v1/targets/{partner}/revenue/2026-Q3", json={"target": {"amount": "100", "currency": "EUR"}}
    )
    analytics = AnalyticsClient(client)

    used = await analytics.fx_rate("USD", "EUR", date(2026, 7, 9))
    rates = await analytics.fx_rates("EUR", "USD", date(2026, 7, 2), date(2026, 7, 31))
    targets = await analytics.targets(partner, "2026-Q3")

    assert isinstance(used, FxRateUsed)
    assert (used.effective_on, used.inverted, used.stored_rate) == (date(2026, 7, 2), True, Decimal("1.10"))
    # 110.00 USD / 1.10 = 100.0000 EUR
    assert used.convert(Decimal("110.00")) == Decimal("100.0000")
    assert [r.rate for r in rates] == [Decimal("1.10")]
    assert [(t.period, t.target.amount) for t in targets] == [("2026-Q3", Decimal("100"))]
    with pytest.raises(NotFound, match="no FX rate converts EUR to JPY"):
        await analytics.fx_rate("EUR", "JPY", date(2026, 7, 9))

"""New customers across currencies: a customer is new in the span of its first line with the partner in any
currency (the customer rollup keeps one row per customer and currency)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..sales.factories import Sender
from ..sales.fakes import FakeRegistry
from .test_snapshot import _kpis, _partner, sale, value

pytestmark = pytest.mark.asyncio


async def test_a_customer_is_new_once_whatever_the_currencies(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id = await _partner(
        sender,
        registry,
        sale("2026-06-10", "10.00", "A", currency="EUR"),  # A: first in June
        sale("2026-07-10", "10.00", "A", currency="USD"),  # ... then in USD: not new in July
        sale("2026-07-11", "10.00", "B", currency="USD"),  # B: first in July
        sale("2026-08-11", "10.00", "B", currency="EUR"),  # ... then in EUR: not new in August
        sale("2026-07-12", "10.00", "C", currency="EUR"),  # C: twice in July, in two currencies: once
        sale("2026-07-13", "10.00", "C", currency="USD"),
    )

    july = await _kpis(client, partner_id, period="2026-07", currency="EUR")
    august = await _kpis(client, partner_id, period="2026-08", currency="EUR")
    summer = await _kpis(client, partner_id, **{"from": "2026-06-01", "to": "2026-08-31", "currency": "EUR"})

    assert value(july, "new_customers") == "2"  # B and C
    assert value(august, "new_customers") == "0"
    assert value(summer, "new_customers") == "3"  # A, B, C

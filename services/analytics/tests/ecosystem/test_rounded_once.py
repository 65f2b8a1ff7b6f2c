"""A partner's converted revenue is computed in full precision and rounded once (half even, to the 4 places
amounts are shown with), so the leaderboard, the snapshot, revenue by segment, concentration and the time
series give the same figure for the same sales. Amounts and rates are chosen so that rounding each converted
sum on its own (gross, returns; or each currency) lands 0.0001 away from rounding the total once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from analytics.fx.models import FxRate
from analytics.partners.models import PartnerDimension
from sqlalchemy.ext.asyncio import AsyncSession

from ..kpis.test_snapshot import sale
from ..sales.factories import Sender, sales_reported
from ..sales.fakes import FakeRegistry

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 7, 1, tzinfo=UTC)
JULY = {"period": "2026-07"}  # the ecosystem views are in the reporting currency, EUR


async def _partner(sender: Sender, registry: FakeRegistry, db: AsyncSession, *lines: dict[str, Any]) -> UUID:
    partner_id, secret = registry.partner()
    response = await sender.send(partner_id, secret, sales_reported(*lines))
    assert response.status_code == 200, response.text
    db.add(PartnerDimension(partner_id=partner_id, name=str(partner_id), tier="gold", updated_at=NOW))
    return partner_id


def _rate(base: str, rate: str) -> FxRate:
    return FxRate(
        id=uuid4(),
        version=1,
        created_at=NOW,
        updated_at=NOW,
        base=base,
        quote="EUR",
        effective_on=date(2026, 6, 1),
        rate=Decimal(rate),
    )


async def _get(client: httpx.AsyncClient, path: str, **params: str) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_revenue_is_rounded_once_and_every_view_agrees(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    returns = await _partner(
        sender,
        registry,
        db,
        sale("2026-07-03", "100.01", "X", currency="USD"),
        sale("2026-07-04", "0.02", "X", currency="USD", kind="return"),
    )
    currencies = await _partner(
        sender,
        registry,
        db,
        sale("2026-07-03", "100.01", "Y", currency="USD"),
        sale("2026-07-05", "10.04", "Y", currency="GBP"),
    )
    db.add_all([_rate("USD", "0.92347"), _rate("GBP", "1.16843")])
    await db.flush()
    # returns: (100.01 - 0.02) x 0.92347 = 99.99 x 0.92347 = 92.3377653 → 92.3378
    #   (rounded apart: 92.3562347 → 92.3562 less 0.0184694 → 0.0185 = 92.3377)
    # currencies: 100.01 x 0.92347 + 10.04 x 1.16843 = 92.3562347 + 11.7310372 = 104.0872719 → 104.0873
    #   (rounded apart: 92.3562 + 11.7310 = 104.0872)
    # together: 92.3378 + 104.0873 = 196.4251
    expected = {returns: "92.3378", currencies: "104.0873"}

    board = await _get(client, "/v1/leaderboards", kpi="revenue", **JULY)
    snapshots = {p: await _get(client, f"/v1/kpis/partners/{p}", currency="EUR", **JULY) for p in expected}
    series = {p: await _get(client, "/v1/ecosystem/time-series", partner_id=str(p), **JULY) for p in expected}
    by_tier = await _get(client, "/v1/ecosystem/revenue", by="tier", **JULY)
    concentration = await _get(client, "/v1/ecosystem/concentration", **JULY)

    assert {UUID(e["partner_id"]): e["value"]["value"] for e in board["items"]} == expected
    assert {p: s["revenue"]["value"] for p, s in snapshots.items()} == expected
    assert {p: s["points"][0]["revenue"]["value"] for p, s in series.items()} == expected
    assert [(s["segment"], s["revenue"]["value"]) for s in by_tier["segments"]] == [("gold", "196.4251")]
    assert concentration["total_revenue"]["value"] == "196.4251"

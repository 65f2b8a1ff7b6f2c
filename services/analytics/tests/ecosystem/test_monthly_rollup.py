"""The monthly rollup (partner x month x currency) is kept equal to the daily one, and reads over whole months
(period labels) come from it while partial ranges read the daily one: both give the snapshots' values."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from analytics.ecosystem.sales_kpis import SET_BASED_KPIS
from analytics.sales.models import SalesDailyRollup, SalesMonthlyRollup
from analytics.sales.rollups import MONTHLY_SUMS
from sqlalchemy.ext.asyncio import AsyncSession

from ..sales.factories import Sender
from ..sales.fakes import FakeRegistry
from .test_set_based_leaderboards import _statements, arrange

pytestmark = pytest.mark.asyncio

SPANS: list[dict[str, str]] = [
    {"period": "2026-07"},
    {"period": "2026-Q3"},
    {"period": "2026"},
    {"from": "2026-06-01", "to": "2026-07-31"},  # whole months, not a period label
    {"from": "2026-07-03", "to": "2026-07-24"},  # partial: the daily rollup
]


async def test_the_monthly_rollup_is_the_daily_one_summed_by_month(
    db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    await arrange(sender, registry, db)
    expected: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0] * len(MONTHLY_SUMS))
    for row in (await db.execute(sa.select(SalesDailyRollup))).scalars():
        sums = expected[(row.partner_id, row.day.replace(day=1), row.currency)]
        for index, name in enumerate(MONTHLY_SUMS):
            sums[index] += getattr(row, name)
    monthly = {
        (row.partner_id, row.month, row.currency): [getattr(row, name) for name in MONTHLY_SUMS]
        for row in (await db.execute(sa.select(SalesMonthlyRollup))).scalars()
    }

    assert monthly == dict(expected)
    assert len(monthly) == 8  # eur: 2026-07, 2026-06, 2025-07; usd: 07, 06; mixed: EUR, USD; gbp
    eur_july = [v for k, v in monthly.items() if k[1].isoformat() == "2026-07-01" and k[2] == "EUR"]
    # 1000 + 200 sold, 100 returned (eur); 100 sold (mixed)
    assert sorted((v[0], v[1]) for v in eur_july) == [
        (Decimal("100"), Decimal("0")),
        (Decimal("1200"), Decimal("100")),
    ]


@pytest.mark.parametrize("span", SPANS, ids=lambda s: "..".join(s.values()))
async def test_leaderboards_equal_the_snapshots_over_months_quarters_years_and_ranges(
    span: dict[str, str],
    client: httpx.AsyncClient,
    db: AsyncSession,
    sender: Sender,
    registry: FakeRegistry,
) -> None:
    ids = await arrange(sender, registry, db)
    snapshots = {}
    for partner_id in ids.values():
        response = await client.get(f"/v1/kpis/partners/{partner_id}", params=span | {"currency": "EUR"})
        assert response.status_code == 200, response.text
        snapshots[str(partner_id)] = response.json()

    for kpi in sorted(SET_BASED_KPIS):
        response = await client.get("/v1/leaderboards", params=span | {"kpi": kpi, "limit": 100})
        assert response.status_code == 200, response.text
        for entry in response.json()["items"]:
            assert entry["value"] == snapshots[entry["partner_id"]][kpi], (kpi, entry)

    eur = snapshots[str(ids["eur"])]["revenue"]["value"]
    # by hand: July 1000 + 200 - 100 = 1100, June 500 (the 2025 sale is outside every span)
    by_span = {"2026-07": "1100.0000", "2026-Q3": "1100.0000", "2026": "1600.0000"}
    by_span |= {"2026-06-01..2026-07-31": "1600.0000", "2026-07-03..2026-07-24": "200.0000"}
    assert eur == by_span["..".join(v for k, v in span.items() if k != "period") or span["period"]]


async def test_a_snapshot_takes_at_most_five_statements(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    ids = await arrange(sender, registry, db)
    for partner in ("eur", "idle"):  # one currency, its own: no FX lookup
        with _statements(db) as seen:
            response = await client.get(f"/v1/kpis/partners/{ids[partner]}", params={"period": "2026-Q3"})
        assert response.status_code == 200, response.text
        queries = [q for q in seen if not q.startswith(("SAVEPOINT", "RELEASE"))]  # the test's transaction
        # facts, sales totals of the 3 spans, money inputs, counts (about 15 before they were merged); one
        # statement of all four on PostgreSQL
        assert len(queries) == (1 if db.get_bind().dialect.name == "postgresql" else 4), queries

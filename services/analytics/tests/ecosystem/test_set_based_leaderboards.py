"""Leaderboards by sales KPIs are computed set-based (a few GROUP BY queries for all partners) and must equal
each partner's own snapshot, over partners in several currencies, with costs, returns and earlier periods."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from analytics.ecosystem.sales_kpis import SET_BASED_KPIS
from analytics.fx.models import FxRate
from analytics.partners.models import PartnerDimension
from sqlalchemy.ext.asyncio import AsyncSession

from ..kpis.test_snapshot import a_return, sale
from ..sales.factories import Sender, sales_reported
from ..sales.fakes import FakeRegistry

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 7, 1, tzinfo=UTC)


async def _send(sender: Sender, registry: FakeRegistry, *lines: dict[str, Any]) -> UUID:
    partner_id, secret = registry.partner()
    response = await sender.send(partner_id, secret, sales_reported(*lines))
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["accepted"] == len(lines)
    return partner_id


def _rate(day: date, rate: str, base: str = "USD") -> FxRate:
    return FxRate(
        id=uuid4(),
        version=1,
        created_at=NOW,
        updated_at=NOW,
        base=base,
        quote="EUR",
        effective_on=day,
        rate=Decimal(rate),
    )


async def arrange(sender: Sender, registry: FakeRegistry, db: AsyncSession) -> dict[str, UUID]:
    """eur: July 2026 1000 (cost 600) + 200 - a return of 100 = 1100; June 500; July 2025 800.
    usd: July 300 USD (cost 210) x 0.8 = 240 EUR; June 400 USD x 0.9 = 360 EUR.
    mixed: July 100 EUR + 50.33 USD x 0.8 = 40.264 → 140.264 EUR.
    gbp: July 70 GBP, no GBP rate: null with the missing rate. idle: in the replica, no sales: 0."""
    first = sale("2026-07-02", "1000.00", "A", cost="600.00")
    ids = {
        "eur": await _send(
            sender,
            registry,
            first,
            sale("2026-07-20", "200.00", "B"),
            a_return("2026-07-25", "100.00", "A", original=first["external_id"]),
            sale("2026-06-10", "500.00", "A"),
            sale("2025-07-10", "800.00", "C"),
        ),
        "usd": await _send(
            sender,
            registry,
            sale("2026-07-03", "300.00", "D", cost="210.00", currency="USD"),
            sale("2026-06-03", "400.00", "D", currency="USD"),
        ),
        "mixed": await _send(
            sender,
            registry,
            sale("2026-07-04", "100.00", "E"),
            sale("2026-07-05", "50.33", "F", currency="USD"),
        ),
        "gbp": await _send(sender, registry, sale("2026-07-06", "70.00", "G", currency="GBP")),
        "idle": uuid4(),
    }
    db.add(PartnerDimension(partner_id=ids["idle"], name="idle", updated_at=NOW))
    for day, rate in ((date(2026, 6, 30), "0.9"), (date(2026, 7, 31), "0.8"), (date(2025, 7, 1), "0.85")):
        db.add(_rate(day, rate))
    await db.flush()
    return ids


async def _leaderboard(client: httpx.AsyncClient, kpi: str, **params: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/leaderboards", params={"kpi": kpi, "period": "2026-07", "limit": 100} | params
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_each_sales_kpi_equals_the_partners_snapshot(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    ids = await arrange(sender, registry, db)
    snapshots = {}
    for partner_id in ids.values():
        response = await client.get(
            f"/v1/kpis/partners/{partner_id}", params={"period": "2026-07", "currency": "EUR"}
        )
        assert response.status_code == 200, response.text
        snapshots[str(partner_id)] = response.json()

    for kpi in sorted(SET_BASED_KPIS):
        entries = await _leaderboard(client, kpi)
        assert {e["partner_id"] for e in entries} == set(snapshots), kpi
        for entry in entries:
            assert entry["value"] == snapshots[entry["partner_id"]][kpi], (kpi, entry)

    revenue = {e["partner_id"]: e["value"]["value"] for e in await _leaderboard(client, "revenue")}
    assert [revenue[str(ids[n])] for n in ("eur", "usd", "mixed", "idle", "gbp")] == [
        "1100.0000",  # 1000 + 200 - 100
        "240.0000",  # 300 USD x 0.8 (the rate in force on 31 July)
        "140.2640",  # 100 + 50.33 x 0.8
        "0.0000",
        None,  # no GBP rate
    ]
    growth = {
        e["partner_id"]: e["value"]["value"] for e in await _leaderboard(client, "growth_previous_period")
    }
    # eur: (1100 - 500) ÷ 500 = 1.2; usd: (240 - 400 x 0.9 = 360) ÷ 360 = -0.333333
    assert (growth[str(ids["eur"])], growth[str(ids["usd"])]) == ("1.200000", "-0.333333")
    coverage = {e["partner_id"]: e["value"] for e in await _leaderboard(client, "cost_coverage")}
    # a share of lines, known without the missing GBP rate: gbp's one line has no cost
    assert coverage[str(ids["gbp"])] == {"value": "0.000000", "reason": None, "unit": "ratio"}
    ranks = [e["partner_id"] for e in await _leaderboard(client, "revenue")]
    assert ranks == [str(ids[n]) for n in ("eur", "usd", "mixed", "idle", "gbp")]  # null last


async def test_a_filtered_leaderboard_ranks_only_the_segment(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    ids = await arrange(sender, registry, db)
    for name in ("usd", "mixed"):
        db.add(PartnerDimension(partner_id=ids[name], tier="gold", updated_at=NOW))
    db.add(PartnerDimension(partner_id=ids["eur"], name="no tier yet", updated_at=NOW))
    await db.flush()

    entries = await _leaderboard(client, "gross_profit", tier="gold")

    # usd: (300 - 210) x 0.8 = 72 EUR; mixed reports no cost
    assert [(e["partner_id"], e["value"]["value"], e["value"]["reason"]) for e in entries] == [
        (str(ids["usd"]), "72.0000", None),
        (str(ids["mixed"]), None, "no_cost_reported"),
    ]

    # the replica's partners without a tier are the `unknown` segment, as the views name it
    unknown = await _leaderboard(client, "revenue", tier="unknown")
    assert [(e["partner_id"], e["tier"], e["value"]["value"]) for e in unknown] == [
        (str(ids["eur"]), "unknown", "1100.0000"),
        (str(ids["idle"]), "unknown", "0.0000"),
    ]


@contextmanager
def _statements(db: AsyncSession) -> Iterator[list[str]]:
    connection = db.bind.sync_connection  # type: ignore[union-attr]
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    sa.event.listen(connection, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(connection, "before_cursor_execute", count)


async def test_the_number_of_queries_does_not_grow_with_the_partners(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    await arrange(sender, registry, db)
    with _statements(db) as few:
        await _leaderboard(client, "growth_year_over_year")
    for n in range(4):
        await _send(
            sender, registry, sale("2026-07-09", f"{n + 1}0.00", "H"), sale("2025-07-09", "5.00", "H")
        )
    with _statements(db) as many:
        entries = await _leaderboard(client, "growth_year_over_year")

    assert len(entries) == 9
    assert 0 < len(few) <= 12  # replica, partners with sales, 2 GROUP BYs, rates; not ~15 per partner
    assert len(many) == len(few)

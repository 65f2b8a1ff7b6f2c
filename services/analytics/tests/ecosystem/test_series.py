"""Monthly time series and cohorts by activation quarter, over partners arranged by hand (values worked out in
the comments), and each month of a series equal to the partner's KPI snapshot of that month."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from analytics.partners.models import PartnerDimension
from sqlalchemy.ext.asyncio import AsyncSession

from ..kpis.test_snapshot import a_return, sale
from ..sales.factories import Sender
from ..sales.fakes import FakeRegistry
from .test_set_based_leaderboards import _rate, _send

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 7, 1, tzinfo=UTC)


async def arrange(sender: Sender, registry: FakeRegistry, db: AsyncSession) -> dict[str, UUID]:
    """one (gold, EUR): Feb 100; nothing in March; April 200 - a return of 30 = 170.
    two (gold, USD): March 100 USD x 0.9 (in force on 31 March) = 90 EUR.
    three (silver, EUR): May 1000.  old (no replica): first sale in November 2025, 40 in July 2026."""
    april = sale("2026-04-05", "200.00", "A")
    ids = {
        "one": await _send(
            sender,
            registry,
            sale("2026-02-10", "100.00", "A"),
            april,
            a_return("2026-04-25", "30.00", "A", original=april["external_id"]),
        ),
        "two": await _send(sender, registry, sale("2026-03-15", "100.00", "B", currency="USD")),
        "three": await _send(sender, registry, sale("2026-05-10", "1000.00", "C")),
        "old": await _send(
            sender, registry, sale("2025-11-01", "10.00", "D"), sale("2026-07-01", "40.00", "D")
        ),
    }
    for name, tier in (("one", "gold"), ("two", "gold"), ("three", "silver")):
        db.add(PartnerDimension(partner_id=ids[name], tier=tier, updated_at=NOW))
    db.add(_rate(date(2026, 1, 1), "0.9"))
    db.add(_rate(date(2026, 4, 30), "0.8"))
    await db.flush()
    return ids


def _points(body: dict[str, Any]) -> list[tuple[str, str | None, str | None, int, int]]:
    return [
        (p["month"], p["revenue"]["value"], p["revenue"]["reason"], p["line_count"], p["partners"])
        for p in body["points"]
    ]


async def _series(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get("/v1/ecosystem/time-series", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_partners_series_starts_at_its_first_sale_and_shows_real_zeros(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    ids = await arrange(sender, registry, db)

    body = await _series(client, partner_id=str(ids["one"]), **{"from": "2026-01-01", "to": "2026-04-30"})

    assert body["first_sale_on"] == "2026-02-10"
    assert _points(body) == [
        ("2026-01", None, "before_first_sale", 0, 0),
        ("2026-02", "100.0000", None, 1, 1),
        ("2026-03", "0.0000", None, 0, 0),  # no sales that month: a real zero
        ("2026-04", "170.0000", None, 2, 1),  # 200 - 30
    ]


async def test_a_segments_series_adds_its_partners_converted_per_month(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    ids = await arrange(sender, registry, db)

    gold = await _series(client, tier="gold", **{"from": "2026-01-01", "to": "2026-05-31"})

    assert _points(gold) == [
        ("2026-01", None, "before_first_sale", 0, 0),
        ("2026-02", "100.0000", None, 1, 1),
        ("2026-03", "90.0000", None, 1, 1),  # 100 USD x 0.9
        ("2026-04", "170.0000", None, 2, 1),
        ("2026-05", "0.0000", None, 0, 0),  # the silver partner's 1000 is not gold
    ]
    assert gold["fx_rates_used"] == [
        {"base": "USD", "quote": "EUR", "rate": "0.9000000000", "effective_on": "2026-01-01"}
    ]
    everyone = await _series(client, period="2026")
    for point in everyone["points"]:
        month = point["month"]
        snapshots = [
            (await client.get(f"/v1/kpis/partners/{p}", params={"period": month, "currency": "EUR"})).json()
            for p in ids.values()
        ]
        # every month equals the sum of the partners' snapshots of that month
        assert point["revenue"]["value"] == format(
            sum(Decimal(s["revenue"]["value"]) for s in snapshots), "f"
        ), month


async def test_cohorts_by_activation_quarter(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    await arrange(sender, registry, db)

    response = await client.get("/v1/ecosystem/cohorts", params={"period": "2026"})

    assert response.status_code == 200, response.text
    cohorts = {
        c["cohort"]: (
            c["partners"],
            [(q["quarter"], q["offset"], q["active_partners"], q["revenue"]["value"]) for q in c["quarters"]],
        )
        for c in response.json()["cohorts"]
    }
    # "old" activated in 2025-Q4, outside the span: in no cohort
    assert cohorts == {
        "2026-Q1": (
            2,
            [
                ("2026-Q1", 0, 2, "190.0000"),  # 100 + 100 USD x 0.9 (31 March)
                ("2026-Q2", 1, 1, "170.0000"),
                ("2026-Q3", 2, 0, "0.0000"),
                ("2026-Q4", 3, 0, "0.0000"),
            ],
        ),
        "2026-Q2": (
            1,
            [("2026-Q2", 0, 1, "1000.0000"), ("2026-Q3", 1, 0, "0.0000"), ("2026-Q4", 2, 0, "0.0000")],
        ),
    }


@pytest.mark.parametrize(
    ("path", "params", "kind"),
    [
        ("/v1/ecosystem/time-series", {"from": "2026-01-05", "to": "2026-03-31"}, "needs_whole_months"),
        ("/v1/ecosystem/cohorts", {"period": "2026-07"}, "needs_whole_quarters"),
        ("/v1/ecosystem/time-series", {"period": "2026-Q5"}, "period"),
    ],
)
async def test_spans_the_view_cannot_cover_are_a_422(
    client: httpx.AsyncClient, path: str, params: dict[str, str], kind: str
) -> None:
    response = await client.get(path, params=params)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["type"] == kind


async def test_an_unknown_partners_series_is_a_404(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/ecosystem/time-series", params={"period": "2026", "partner_id": str(uuid4())}
    )

    assert response.status_code == 404

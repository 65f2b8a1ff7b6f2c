"""The refresh worker also moves the partner's open improvement plans on: a `kpi.updated` queues the partner,
and the round reads the snapshots its plans need beside the score's facts, then writes both."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from scoring.models import ImprovementPlan
from sqlalchemy.ext.asyncio import AsyncSession

from ..fake_analytics import FakeAnalytics, kpi_snapshot
from .helpers import REFRESH_AT, LadderRegistry, add_kpis, event, queued, refresh

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("clock")]

# The plan runs from 2026-10-17; on REFRESH_AT (2026-11-15) its window is 2026-10-17..2026-11-15:
# 15 days of October + 15 of November = 30 days of the revenue goal's 90 (due 2027-01-14: 15 + 30 + 31 + 14).
STARTS_ON = date(2026, 10, 17)
WINDOW_END = date(2026, 11, 15)
GOALS = [
    {"kpi": "revenue", "target": {"amount": "90000.00", "currency": "EUR"}, "due_on": "2027-01-14"},
    {"kpi": "nps", "target": "40", "due_on": "2027-01-14", "baseline": "10"},
]


async def a_plan(client: httpx.AsyncClient, partner: UUID) -> dict[str, object]:
    body = {
        "partner_id": str(partner),
        "title": "Back to growth",
        "owner": "Anna Berger",
        "starts_on": STARTS_ON.isoformat(),
        "goals": GOALS,
    }
    response = await client.post("/v1/improvement-plans", json=body)
    assert response.status_code == 201, response.text
    plan: dict[str, object] = response.json()
    return plan


async def kpis_updated(client: httpx.AsyncClient, partner: UUID) -> None:
    updated = event("kpi.updated", {"partner_id": str(partner), "months": ["2026-11"]}, source="analytics")
    response = await client.post("/internal/events", json={"events": [updated]})
    assert response.json() == {"accepted": 1, "duplicates": 0}


async def test_a_kpi_event_refreshes_the_score_and_the_partners_open_plans(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    partner = registry.add_partner(tier="silver")
    add_kpis(analytics, partner, revenue_12m="100000.00")
    plan = await a_plan(client, partner)
    analytics.add(kpi_snapshot(partner, STARTS_ON, WINDOW_END, revenue="35000", nps="15"))

    await kpis_updated(client, partner)
    assert await refresh(app) == 1

    assert await queued(db) == {}
    assert (await client.get(f"/v1/scores/partners/{partner}")).status_code == 200
    # both goals read the plan's window, in the revenue target's currency: one request
    assert (
        f"GET /internal/partners/{partner}/kpis?from=2026-10-17&to=2026-11-15&currency=EUR"
        in analytics.requests
    )
    answer = (await client.get(f"/v1/improvement-plans/{plan['id']}")).json()
    # revenue: 90000 · 30/90 = 30000 expected, 35000 ≥ 30000; nps: 10 + (40 - 10) · 30/90 = 20 expected, 15 < 20
    assert [
        (g["progress"]["state"], g["progress"]["value"], g["progress"]["expected"]) for g in answer["goals"]
    ] == [
        ("on_track", "35000", "30000"),
        ("off_track", "15", "20"),
    ]
    assert answer["version"] == 2
    assert answer["last_checked_at"] == "2026-11-15T06:00:00Z"

    # a day later new sales arrive: the window grows by a day (31 of 90) and the goal is read again
    analytics.add(kpi_snapshot(partner, STARTS_ON, WINDOW_END + timedelta(days=1), revenue="28000", nps="25"))
    await kpis_updated(client, partner)
    assert await refresh(app, REFRESH_AT + timedelta(days=1)) == 1

    answer = (await client.get(f"/v1/improvement-plans/{plan['id']}")).json()
    # revenue: 90000 · 31/90 = 31000 expected, 28000 < 31000; nps: 10 + 30 · 31/90 = 20.333333, 25 ≥ it
    assert [(g["progress"]["state"], g["progress"]["expected"]) for g in answer["goals"]] == [
        ("off_track", "31000"),
        ("on_track", "20.333333"),
    ]
    assert answer["version"] == 3


async def test_a_window_analytics_has_no_data_for_leaves_the_plan_as_it_was(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    partner = registry.add_partner(tier="silver")
    add_kpis(analytics, partner, revenue_12m="100000.00")
    plan = await a_plan(client, partner)

    await kpis_updated(client, partner)
    assert await refresh(app) == 1

    assert await queued(db) == {}
    assert (await client.get(f"/v1/improvement-plans/{plan['id']}")).json() == plan


async def test_a_closed_plan_is_not_refreshed_and_analytics_down_keeps_the_partner_queued(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    partner = registry.add_partner(tier="silver")
    add_kpis(analytics, partner, revenue_12m="100000.00")
    plan = await a_plan(client, partner)
    closed = await client.post(
        f"/v1/improvement-plans/{plan['id']}/closure", json={"outcome": "failed"}, headers={"If-Match": '"1"'}
    )
    analytics.add(kpi_snapshot(partner, STARTS_ON, WINDOW_END, revenue="35000", nps="15"))

    await kpis_updated(client, partner)
    analytics.reachable = False
    assert await refresh(app) == 0
    assert queued_attempts(await queued(db), partner) == 1

    analytics.reachable = True
    assert await refresh(app, REFRESH_AT + timedelta(hours=1)) == 1
    assert (await client.get(f"/v1/improvement-plans/{plan['id']}")).json() == closed.json()
    # a closed plan's windows are not even asked for
    assert not any("from=2026-10-17" in request for request in analytics.requests)


async def test_a_plan_whose_window_analytics_refuses_holds_up_no_refresh(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    stuck, other = registry.add_partner(tier="silver"), registry.add_partner(tier="silver")
    for partner in (stuck, other):
        add_kpis(analytics, partner, revenue_12m="100000.00")
    plan = await a_plan(client, stuck)
    # a plan stored before goals were bounded: on 2026-11-15 its window from 2019-01-01 is far over the
    # 1,830 days analytics reads KPIs over, and analytics answers 422
    await db.execute(
        sa.update(ImprovementPlan)
        .where(ImprovementPlan.id == UUID(str(plan["id"])))
        .values(starts_on=date(2019, 1, 1))
    )
    before = (await client.get(f"/v1/improvement-plans/{plan['id']}")).json()

    await kpis_updated(client, stuck)
    await kpis_updated(client, other)
    assert await refresh(app) == 2

    assert await queued(db) == {}  # neither is left to retry
    assert (
        f"GET /internal/partners/{stuck}/kpis?from=2019-01-01&to=2026-11-15&currency=EUR"
        in analytics.requests
    )
    for partner in (stuck, other):
        assert (await client.get(f"/v1/scores/partners/{partner}")).status_code == 200
    assert (await client.get(f"/v1/improvement-plans/{plan['id']}")).json() == before


def queued_attempts(rows: dict[object, object], partner: object) -> int:
    return int(rows[partner].attempts)  # type: ignore[attr-defined]

"""Tier recommendations: stored by each refresh (one open per partner, updated in place or superseded),
listed, queued by a run, and applied by a channel manager through the registry's tier change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import CHANNEL_MANAGER, is_problem, partner_user, signed_as
from ..fake_analytics import FakeAnalytics
from ..scores.helpers import EVENT_AT, REFRESH_AT, LadderRegistry, add_kpis, counts, queue, queued, refresh

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("clock")]


async def a_recommendation(
    app: FastAPI,
    client: httpx.AsyncClient,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
    *,
    revenue: str = "1250000.00",
    people: int = 6,
) -> tuple[UUID, dict[str, Any]]:
    """A silver partner; with the defaults it meets gold (1,250,000.00 ≥ 1,000,000.00 EUR, 6 ≥ 5 people)."""
    partner = registry.add_partner(tier="silver")
    registry.certify(partner, people)
    add_kpis(analytics, partner, revenue_12m=revenue)
    await queue(client, partner)
    await refresh(app)
    page = (await client.get("/v1/tier-recommendations", params={"partner_id": str(partner)})).json()
    return partner, page["items"][0]


async def test_a_refresh_stores_a_recommendation_the_score_points_to(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    partner, recommendation = await a_recommendation(app, client, registry, analytics)

    score = (await client.get(f"/v1/scores/partners/{partner}")).json()

    assert (recommendation["action"], recommendation["current_tier"], recommendation["recommended_tier"]) == (
        "promote",
        "silver",
        "gold",
    )
    assert recommendation["status"] == "open"
    assert recommendation["trailing_12m_revenue"] == {"amount": "1250000.00", "currency": "EUR"}
    assert recommendation["certified_staff"] == 6
    assert score["tier"]["recommendation_id"] == recommendation["id"]
    fetched = await client.get(f"/v1/tier-recommendations/{recommendation['id']}")
    assert fetched.json() == recommendation


async def test_the_same_move_is_updated_in_place_and_another_supersedes_it(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    partner, first = await a_recommendation(app, client, registry, analytics, revenue="880000.00", people=4)
    registry.certify(partner, 1)  # 5 people: the gap shrinks, the move (keep silver) is the same
    await queue(client, partner)
    await refresh(app, REFRESH_AT + timedelta(hours=1))
    same = (await client.get(f"/v1/tier-recommendations/{first['id']}")).json()
    add_kpis(analytics, partner, revenue_12m="1000000.00")  # now gold's requirements are met
    await queue(client, partner)
    await refresh(app, REFRESH_AT + timedelta(hours=2))

    listed = (await client.get("/v1/tier-recommendations", params={"partner_id": str(partner)})).json()[
        "items"
    ]

    assert (first["action"], first["version"]) == ("keep", 1)
    assert (same["action"], same["version"], same["status"]) == ("keep", 2, "open")
    assert same["gap"]["summary"] == "120000.00 EUR more trailing-12-month revenue"
    assert [(r["action"], r["status"]) for r in listed] == [("promote", "open"), ("keep", "superseded")]
    open_only = await client.get("/v1/tier-recommendations", params={"status": "open", "action": "promote"})
    assert [r["partner_id"] for r in open_only.json()["items"]] == [str(partner)]


async def test_a_channel_manager_applies_a_recommendation_through_the_registry(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    partner, recommendation = await a_recommendation(app, client, registry, analytics)

    response = await client.post(
        "/v1/tier-recommendations/applications",
        json={"recommendation_ids": [recommendation["id"]], "note": "Annual review 2026"},
        headers=signed_as(CHANNEL_MANAGER),
    )

    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    [change] = registry.tier_changes
    assert item == {
        "recommendation_id": recommendation["id"],
        "applied": True,
        "tier_change_id": change["id"],
        "detail": None,
    }
    assert (change["to_tier"], change["source"], change["recommendation_id"]) == (
        "gold",
        "scoring_recommendation",
        recommendation["id"],
    )
    assert change["reason"].startswith("Annual review 2026 — Scoring recommendation")
    assert "applied by user:cm-anna" in change["reason"]
    applied = (await client.get(f"/v1/tier-recommendations/{recommendation['id']}")).json()
    assert (applied["status"], applied["applied_by"], applied["tier_change_id"]) == (
        "applied",
        "user:cm-anna",
        change["id"],
    )
    assert applied["applied_at"] == EVENT_AT.isoformat().replace("+00:00", "Z")
    assert (await queued(db))[partner].reason == "tier_applied"  # its standing is read again


async def test_applying_reports_each_id_that_cannot_be_applied(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    _, promote = await a_recommendation(app, client, registry, analytics)
    _, keep = await a_recommendation(app, client, registry, analytics, revenue="10.00")
    unknown = str(uuid4())
    await client.post("/v1/tier-recommendations/applications", json={"recommendation_ids": [promote["id"]]})

    response = await client.post(
        "/v1/tier-recommendations/applications",
        json={"recommendation_ids": [promote["id"], keep["id"], unknown]},
    )

    details = [(i["applied"], i["detail"]) for i in response.json()["items"]]
    assert details[0][0] is False
    assert details[0][1].startswith("it is applied (on ")
    assert details[1] == (False, "it recommends keeping the current tier: there is nothing to apply")
    assert details[2] == (False, f"no tier recommendation {unknown}")
    assert len(registry.tier_changes) == 1


async def test_a_recommendation_the_registry_applied_before_is_recorded_as_applied(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    _, recommendation = await a_recommendation(app, client, registry, analytics)
    registry.tier_change_by_recommendation[recommendation["id"]] = earlier = str(uuid4())

    response = await client.post(
        "/v1/tier-recommendations/applications", json={"recommendation_ids": [recommendation["id"]]}
    )

    assert response.json()["items"][0]["tier_change_id"] == earlier
    stored = (await client.get(f"/v1/tier-recommendations/{recommendation['id']}")).json()
    assert (stored["status"], stored["tier_change_id"]) == ("applied", earlier)


async def test_a_refusal_of_the_registry_is_reported_and_nothing_is_recorded(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    partner, recommendation = await a_recommendation(app, client, registry, analytics)
    registry.partners[str(partner)]["tier"] = "gold"  # moved by hand meanwhile

    response = await client.post(
        "/v1/tier-recommendations/applications", json={"recommendation_ids": [recommendation["id"]]}
    )

    [item] = response.json()["items"]
    assert item["applied"] is False
    assert item["detail"].startswith("the registry refused the tier change (409)")
    stored = (await client.get(f"/v1/tier-recommendations/{recommendation['id']}")).json()
    assert stored["status"] == "open"


async def test_a_run_queues_the_partners_named_or_every_known_one(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    known, _ = await a_recommendation(app, client, registry, analytics)
    new = uuid4()

    named = await client.post("/v1/tier-recommendations/runs", json={"partner_ids": [str(new), str(new)]})
    everyone = await client.post("/v1/tier-recommendations/runs", json={})

    assert named.status_code == 202, named.text
    assert named.json()["queued"] == 1
    assert everyone.json()["queued"] == 1  # the one partner with a stored score
    assert {p: r.reason for p, r in (await queued(db)).items()} == {
        new: "tier_recommendation_run",
        known: "tier_recommendation_run",
    }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/tier-recommendations/applications", {"recommendation_ids": []}),
        ("/v1/tier-recommendations/applications", {"recommendation_ids": [str(uuid4())] * 101}),
        ("/v1/tier-recommendations/applications", {"recommendation_ids": [7]}),
        ("/v1/tier-recommendations/runs", {"partner_ids": [str(uuid4())] * 10_001}),
        ("/v1/tier-recommendations/runs", {"partner_ids": ["not-an-id"]}),
    ],
    ids=["no id", "over 100 ids", "a number for an id", "a run over 10,000", "a bad id"],
)
async def test_bad_input_is_refused_and_stores_nothing(
    client: httpx.AsyncClient, db: AsyncSession, path: str, body: dict[str, Any]
) -> None:
    response = await client.post(path, json=body)

    assert is_problem(response, 422, "validation-error"), response.text
    assert await counts(db) == {"partner_score": 0, "score_refresh": 0, "tier_recommendation": 0}


async def test_a_partner_reads_its_own_recommendations_and_cannot_run_or_apply_them(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    own, mine = await a_recommendation(app, client, registry, analytics)
    _, theirs = await a_recommendation(app, client, registry, analytics)
    headers = signed_as(partner_user(own))
    before = await counts(db)

    listed = await client.get("/v1/tier-recommendations", headers=headers)
    other = await client.get(f"/v1/tier-recommendations/{theirs['id']}", headers=headers)
    applied = await client.post(
        "/v1/tier-recommendations/applications", json={"recommendation_ids": [mine["id"]]}, headers=headers
    )
    run = await client.post("/v1/tier-recommendations/runs", json={}, headers=headers)

    assert [r["id"] for r in listed.json()["items"]] == [mine["id"]]
    assert is_problem(other, 404, "not-found")
    assert is_problem(applied, 403, "forbidden")
    assert is_problem(run, 403, "forbidden")
    assert registry.tier_changes == []
    assert await counts(db) == before

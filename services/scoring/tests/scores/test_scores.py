"""The score API: stored answers refreshed by events (the worker driven by hand), a new assessment updating
its partner's score in its own request, ETag/304, batches, and what a partner's own key may read."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from prm_contracts.clients.scoring import ScoringClient
from scoring.scores.models import PartnerScore
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import a_model, assessment_body, is_problem, linear, partner_user, signed_as
from ..fake_analytics import FakeAnalytics
from .helpers import REFRESH_AT, LadderRegistry, add_kpis, counts, event, queue, queued, refresh

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("clock")]


def a_silver_partner(registry: LadderRegistry, analytics: FakeAnalytics) -> UUID:
    """A silver reseller in DACH: 880,000.00 EUR over the trailing 12 months, 4 certified people, and a
    quarter (2026-Q3) that fires three warnings: revenue down twice (-0.05 then -0.10), attainment 0.62 under
    0.8, NPS from 40 to 25 (a 15-point drop, over the allowed 10)."""
    partner = registry.add_partner(tier="silver", region="DACH")
    registry.certify(partner, 4)
    add_kpis(
        analytics,
        partner,
        revenue_12m="880000.00",
        latest={"growth_previous_period": "-0.10", "target_attainment": "0.62", "nps": "25"},
        previous={"growth_previous_period": "-0.05", "nps": "40"},
    )
    return partner


async def test_an_event_marks_the_partner_stale_and_the_worker_stores_its_score(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    partner = a_silver_partner(registry, analytics)
    created = event("partner.created", {"partner": registry.partners[str(partner)]})

    received = await client.post("/internal/events", json={"events": [created]})

    assert received.json() == {"accepted": 1, "duplicates": 0}
    assert queued_reason(await queued(db), partner) == "partner.created"
    assert await refresh(app) == 1
    assert await queued(db) == {}

    response = await client.get(f"/v1/scores/partners/{partner}")

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"1"'
    score = response.json()
    assert score["partner"] == {
        "partner_type": "reseller",
        "status": "active",
        "tier": "silver",
        "country": "DE",
        "region": "DACH",
    }
    assert score["evaluation"] is None
    assert score["health"]["level"] == "warning"
    assert [s["kind"] for s in score["health"]["signals"]] == [
        "revenue_declining",
        "attainment_low",
        "nps_drop",
    ]
    assert score["health"]["periods"] == ["2026-Q3", "2026-Q2"]
    tier = score["tier"]
    assert (tier["current_tier"], tier["recommended_tier"], tier["action"]) == ("silver", "silver", "keep")
    # gold needs 1,000,000.00 EUR and 5 certified people: 1,000,000 - 880,000 = 120,000; 5 - 4 = 1
    assert tier["gap"]["next_tier"] == "gold"
    assert (
        tier["gap"]["summary"]
        == "120000.00 EUR more trailing-12-month revenue; 1 more certified staff member"
    )
    assert tier["gap"]["to_confirm"] == ["Joint business plan"]
    assert tier["trailing_12m_revenue"] == {"amount": "880000.00", "currency": "EUR"}
    assert tier["certified_staff"] == 4
    assert tier["demotion_risk"] == []
    # revenue is asked in the ladder's currency over the trailing 12 months
    assert (
        f"GET /internal/partners/{partner}/kpis?from=2025-11-16&to=2026-11-15&currency=EUR"
        in analytics.requests
    )

    not_modified = await client.get(f"/v1/scores/partners/{partner}", headers={"If-None-Match": '"1"'})

    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == '"1"'


def queued_reason(rows: dict[object, object], partner: object) -> str:
    return str(rows[partner].reason)  # type: ignore[attr-defined]


async def test_the_same_facts_keep_the_etag_and_a_changed_fact_moves_it(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    partner = a_silver_partner(registry, analytics)
    await queue(client, partner)
    await refresh(app)

    await queue(client, partner)
    await refresh(app, REFRESH_AT + timedelta(hours=2))
    same = await client.get(f"/v1/scores/partners/{partner}")
    registry.certify(partner, 1)  # 5 certified people now: gold's staff requirement is met
    await queue(client, partner)
    await refresh(app, REFRESH_AT + timedelta(hours=3))
    changed = await client.get(f"/v1/scores/partners/{partner}")

    assert same.headers["etag"] == '"1"'
    assert changed.headers["etag"] == '"2"'
    assert changed.json()["tier"]["gap"]["summary"] == "120000.00 EUR more trailing-12-month revenue"
    assert (
        await client.get(f"/v1/scores/partners/{partner}", headers={"If-None-Match": '"1"'})
    ).status_code == 200


async def test_a_new_assessment_updates_the_score_in_its_own_request(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    partner = a_silver_partner(registry, analytics)
    await queue(client, partner)
    await refresh(app)
    model = await a_model(
        client,
        criteria=[
            linear("growth", "3", dimension="sales_capability"),
            linear("reach", "1", dimension="marketing_capability"),
        ],
    )

    assessed = await client.post(
        "/v1/assessments", json=assessment_body(partner, model["model_name"], {"growth": "40", "reach": "80"})
    )
    response = await client.get(f"/v1/scores/partners/{partner}")

    assert assessed.status_code == 201, assessed.text
    assert response.headers["etag"] == '"2"'
    evaluation = response.json()["evaluation"]
    assert evaluation["assessment_id"] == assessed.json()["id"]
    assert (evaluation["model"], evaluation["model_version"]) == (model["model_name"], 1)
    # weights 3 and 1 → 0.75 and 0.25; 40 · 0.75 = 30, 80 · 0.25 = 20; total 50 → grade D (40 ≤ 50 < 55)
    assert Decimal(evaluation["total"]) == Decimal("50")
    assert evaluation["grade"] == "D"
    assert [
        (d["dimension"], Decimal(d["contribution"]), Decimal(d["weight"])) for d in evaluation["dimensions"]
    ] == [
        ("sales_capability", Decimal("30"), Decimal("0.75")),
        ("marketing_capability", Decimal("20"), Decimal("0.25")),
    ]
    assert response.json()["health"]["level"] == "warning"  # the refreshed parts stay
    assert await queued(db) == {}  # its facts were read already: nothing to ask again
    batch = await client.post("/v1/scores/batch", json={"partner_ids": [str(partner)]})
    summary = batch.json()["items"][0]["score"]
    assert (summary["total"], summary["grade"], summary["model"], summary["model_version"]) == (
        evaluation["total"],
        "D",
        model["model_name"],
        1,
    )
    assert (summary["health"], summary["version"]) == ("warning", 2)


async def test_an_incomplete_assessment_shows_no_contribution_by_dimension(
    app: FastAPI,
    client: httpx.AsyncClient,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    partner = a_silver_partner(registry, analytics)
    await queue(client, partner)
    await refresh(app)
    model = await a_model(
        client,
        criteria=[
            linear("growth", "3", dimension="sales_capability"),
            linear("reach", "1", dimension="marketing_capability", when_missing="incomplete"),
        ],
    )

    assessed = await client.post(
        "/v1/assessments", json=assessment_body(partner, model["model_name"], {"growth": "40"})
    )
    evaluation = (await client.get(f"/v1/scores/partners/{partner}")).json()["evaluation"]

    assert assessed.status_code == 201, assessed.text
    # reach is missing and makes the whole assessment incomplete: no total, no contributions to sum
    assert (evaluation["complete"], evaluation["total"], evaluation["grade"]) == (False, None, None)
    # growth alone has an input, so it holds the whole weight (3/3); reach, missing, has none
    assert evaluation["dimensions"] == [
        {"dimension": "sales_capability", "contribution": None, "weight": "1.000000"}
    ]


async def test_an_assessment_of_a_partner_never_refreshed_stores_its_evaluation_and_queues_it(
    client: httpx.AsyncClient, db: AsyncSession, registry: LadderRegistry
) -> None:
    partner = registry.add_partner()
    model = await a_model(client, criteria=[linear("growth")])

    await client.post("/v1/assessments", json=assessment_body(partner, model["model_name"], {"growth": "70"}))
    score = (await client.get(f"/v1/scores/partners/{partner}")).json()

    assert Decimal(score["evaluation"]["total"]) == Decimal("70")
    assert (score["partner"], score["health"], score["tier"]) == (None, None, None)
    assert queued_reason(await queued(db), partner) == "assessment"


async def test_an_unknown_partner_is_a_not_found_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/scores/partners/{uuid4()}")

    assert is_problem(response, 404, "not-found")
    assert "no score" in response.json()["detail"]


async def test_a_batch_answers_one_item_per_id_in_order_and_reports_unknown_ones(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    known, other = a_silver_partner(registry, analytics), a_silver_partner(registry, analytics)
    await queue(client, known, other)
    await refresh(app)
    unknown = uuid4()

    response = await client.post(
        "/v1/scores/batch", json={"partner_ids": [str(known), str(unknown), str(other), str(known)]}
    )

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["partner_id"], i["found"]) for i in items] == [
        (str(known), True),
        (str(unknown), False),
        (str(other), True),
        (str(known), True),
    ]
    assert items[1] == {
        "partner_id": str(unknown),
        "found": False,
        "score": None,
        "detail": "no score for this partner",
    }
    single = await client.get(f"/v1/scores/partners/{known}")
    full = single.json()
    # the item is the full answer's headline: never assessed, three warnings, kept at silver short of gold
    assert items[0]["score"] == {
        "total": None,
        "grade": None,
        "model": None,
        "model_version": None,
        "health": "warning",
        "signals": ["revenue_declining", "attainment_low", "nps_drop"],
        "current_tier": "silver",
        "recommended_tier": "silver",
        "tier_action": "keep",
        "tier_gap": "120000.00 EUR more trailing-12-month revenue; 1 more certified staff member",
        "computed_at": full["computed_at"],
        "version": 1,
    }
    assert single.headers["etag"] == f'"{items[0]["score"]["version"]}"'
    assert len(response.content) < 2 * len(single.content)  # four items are smaller than two full answers


async def test_a_batch_answer_is_the_stored_summaries_spliced_in_byte_for_byte(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    known, other = a_silver_partner(registry, analytics), a_silver_partner(registry, analytics)
    await queue(client, known, other)
    await refresh(app)
    unknown = uuid4()
    rows = await db.execute(sa.select(PartnerScore.partner_id, PartnerScore.summary))
    stored = {partner: summary for partner, summary in rows}
    ids = [other, unknown, known, other]

    response = await client.post(
        "/v1/scores/batch", json={"partner_ids": [str(i).upper() if i == known else str(i) for i in ids]}
    )

    def item(partner: UUID) -> str:
        if partner in stored:
            return f'{{"partner_id":"{partner}","found":true,"score":{stored[partner]},"detail":null}}'
        return f'{{"partner_id":"{partner}","found":false,"score":null,"detail":"no score for this partner"}}'

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    # ids come back in their canonical spelling, each summary exactly as stored
    assert response.content == ('{"items":[' + ",".join(map(item, ids)) + "]}").encode()


async def test_if_none_match_answers_304_only_for_the_current_version(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    partner = a_silver_partner(registry, analytics)
    await queue(client, partner)
    await refresh(app)
    current = ['"1"', 'W/"1"', '"7", W/"1"', "*"]
    # another version, one spelled otherwise, one past any version, not a version, malformed (no quotes)
    other = ['"2"', '"01"', '"99999999999"', '"abc"', "1"]

    answers = {
        held: await client.get(f"/v1/scores/partners/{partner}", headers={"If-None-Match": held})
        for held in current + other
    }

    assert {held: answer.status_code for held, answer in answers.items()} == {
        **dict.fromkeys(current, 304),
        **dict.fromkeys(other, 200),
    }
    assert {answer.headers["etag"] for answer in answers.values()} == {'"1"'}
    assert {answers[held].content for held in current} == {b""}
    assert {answers[held].content for held in other} == {
        (await client.get(f"/v1/scores/partners/{partner}")).content
    }


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"partner_ids": [str(uuid4())] * 10_001}, ["body", "partner_ids"]),
        ({"partner_ids": []}, ["body", "partner_ids"]),
        ({"partner_ids": [1.5]}, ["body", "partner_ids", 0]),
        ({"partner_ids": [str(uuid4())], "extra": 1}, ["body", "extra"]),
    ],
    ids=["over 10,000 ids", "no id", "a number for an id", "an unknown field"],
)
async def test_a_bad_batch_is_refused(
    client: httpx.AsyncClient, body: dict[str, object], loc: list[object]
) -> None:
    response = await client.post("/v1/scores/batch", json=body)

    assert is_problem(response, 422, "validation-error"), response.text
    assert [issue["loc"] for issue in response.json()["errors"]] == [loc]


async def test_a_partner_reads_its_own_score_only(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    own, other = a_silver_partner(registry, analytics), a_silver_partner(registry, analytics)
    await queue(client, own, other)
    await refresh(app)
    headers = signed_as(partner_user(own, "scoring:read"))

    mine = await client.get(f"/v1/scores/partners/{own}", headers=headers)
    theirs = await client.get(f"/v1/scores/partners/{other}", headers=headers)
    batch = await client.post(
        "/v1/scores/batch", json={"partner_ids": [str(own), str(other)]}, headers=headers
    )

    assert mine.status_code == 200
    assert is_problem(theirs, 404, "not-found")
    assert [item["found"] for item in batch.json()["items"]] == [True, False]


async def test_a_service_that_cannot_be_reached_leaves_the_partner_queued_with_a_backoff(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    partner = a_silver_partner(registry, analytics)
    await queue(client, partner)
    analytics.reachable = False

    assert await refresh(app) == 0

    row = (await queued(db))[partner]
    assert row.attempts == 1
    assert "ServiceUnavailable" in row.last_error
    assert row.next_attempt_at > REFRESH_AT
    assert (await counts(db))["partner_score"] == 0
    assert await refresh(app) == 0  # not due again yet
    analytics.reachable = True
    assert await refresh(app, row.next_attempt_at) == 1


async def test_a_partner_the_registry_does_not_know_is_dropped_from_the_queue(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await queue(client, uuid4())

    assert await refresh(app) == 0

    assert await counts(db) == {"partner_score": 0, "score_refresh": 0, "tier_recommendation": 0}


async def test_kpi_and_tier_events_mark_stale_and_other_events_are_ignored(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    by_kpis, by_tier = uuid4(), uuid4()
    kpis = event("kpi.updated", {"partner_id": str(by_kpis), "months": ["2026-10"]}, source="analytics")
    tier = event("partner.tier_changed", {"partner_id": str(by_tier)})
    other = event("conflict_case.opened", {"partner_id": str(uuid4())})

    first = await client.post("/internal/events", json={"events": [kpis, tier, other]})
    again = await client.post("/internal/events", json={"events": [kpis]})

    assert first.json() == {"accepted": 3, "duplicates": 0}
    assert again.json() == {"accepted": 0, "duplicates": 1}
    rows = await queued(db)
    assert {p: r.reason for p, r in rows.items()} == {by_kpis: "kpi.updated", by_tier: "partner.tier_changed"}


async def test_an_event_that_names_no_partner_is_refused_and_stores_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    broken = event("partner.created", {"partner": {"display_name": "no id"}})

    response = await client.post("/internal/events", json={"events": [broken]})

    assert is_problem(response, 422, "validation-error"), response.text
    assert "data.partner.id" in response.json()["detail"]
    assert await counts(db) == {"partner_score": 0, "score_refresh": 0, "tier_recommendation": 0}


async def test_scores_older_than_the_maximum_age_are_refreshed_without_an_event(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: LadderRegistry,
    analytics: FakeAnalytics,
) -> None:
    partner = a_silver_partner(registry, analytics)
    await queue(client, partner)
    await refresh(app)

    assert await refresh(app, REFRESH_AT + timedelta(hours=23)) == 0  # younger than 24 h
    assert await refresh(app, REFRESH_AT + timedelta(hours=25)) == 1


async def test_the_typed_client_reads_single_and_batch_answers_as_the_contract(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    known = a_silver_partner(registry, analytics)
    await queue(client, known)
    await refresh(app)
    scoring = ScoringClient(client)

    single = await scoring.partner_score(known)
    batch = await scoring.partner_scores([known, uuid4()])

    assert single.tier is not None
    assert single.tier.gap.next_tier == "gold"
    assert [item.found for item in batch.items] == [True, False]
    summary = batch.items[0].score
    assert summary is not None
    assert (summary.tier_gap, summary.version, summary.computed_at) == (
        single.tier.gap.summary,
        1,
        single.computed_at,
    )

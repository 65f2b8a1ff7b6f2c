"""Improvement plans over HTTP: creating one, refused input storing nothing, lists, progress read from
analytics (numbers by hand), closing with If-Match, and the refresh an event worker calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from prm_kit.clock import utc_now
from prm_kit.idempotency import idempotency_record
from scoring.improvement_plans import service
from scoring.improvement_plans.progress import Window
from scoring.models import ImprovementGoal, ImprovementPlan
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import is_problem, partner_user, signed_as
from ..fake_analytics import FakeAnalytics, kpi_snapshot
from ..fakes import FakeRegistry

pytestmark = pytest.mark.asyncio

START = date(2027, 1, 1)
DAY_30 = datetime(2027, 1, 30, 9, tzinfo=UTC)  # the window 2027-01-01..2027-01-30: 30 days
DAY_60 = datetime(2027, 3, 1, 9, tzinfo=UTC)  # 2027-01-01..2027-03-01: 31 + 28 + 1 = 60 days
GOALS: list[dict[str, Any]] = [
    # 90 days (2027-01-01..2027-03-31)
    {"kpi": "revenue", "target": {"amount": "90000.00", "currency": "EUR"}, "due_on": "2027-03-31"},
    {"kpi": "nps", "target": "40", "due_on": "2027-03-31", "baseline": "10"},
    # 59 days (2027-01-01..2027-02-28); lower is better; no baseline: the first check's value
    {"kpi": "returns_ratio", "target": "0.05", "due_on": "2027-02-28"},
]


@pytest.fixture
def set_now(app: FastAPI) -> Callable[[datetime], None]:
    """Moves scoring's now (`prm_kit.clock.utc_now`); the override is undone with the app's state."""

    def move(now: datetime) -> None:
        app.dependency_overrides[utc_now] = lambda: now

    move(DAY_30)
    return move


def plan_body(partner: UUID, **fields: Any) -> dict[str, Any]:
    return {
        "partner_id": str(partner),
        "title": "Back on track in Q1",
        "owner": "Anna Berger",
        "notes": "Agreed in the quarterly review.",
        "starts_on": START.isoformat(),
        "goals": GOALS,
        **fields,
    }


async def stored(session: AsyncSession) -> tuple[int, int, int]:
    counts = []
    for table in (ImprovementPlan.__table__, ImprovementGoal.__table__, idempotency_record):
        counts.append(int(await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0))
    return counts[0], counts[1], counts[2]


async def a_plan(client: httpx.AsyncClient, partner: UUID, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v1/improvement-plans", json=plan_body(partner, **fields))
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


async def test_a_plan_is_created_open_and_unchecked(
    client: httpx.AsyncClient, registry: FakeRegistry, set_now: Callable[[datetime], None]
) -> None:
    partner = registry.add_partner()

    response = await client.post(
        "/v1/improvement-plans", json=plan_body(partner), headers={"Idempotency-Key": "plan-1"}
    )
    replay = await client.post(
        "/v1/improvement-plans", json=plan_body(partner), headers={"Idempotency-Key": "plan-1"}
    )

    assert response.status_code == 201, response.text
    plan = response.json()
    assert response.headers["location"] == f"/v1/improvement-plans/{plan['id']}"
    assert response.headers["etag"] == '"1"'
    assert replay.json()["id"] == plan["id"]
    assert (plan["status"], plan["starts_on"], plan["owner"]) == ("open", "2027-01-01", "Anna Berger")
    assert [goal["kpi"] for goal in plan["goals"]] == ["revenue", "nps", "returns_ratio"]
    assert plan["goals"][0]["target"] == {"amount": "90000.00", "currency": "EUR"}
    assert [goal["target"] for goal in plan["goals"][1:]] == ["40", "0.05"]
    assert [goal["lower_is_better"] for goal in plan["goals"]] == [False, False, True]
    assert all(goal["progress"] is None for goal in plan["goals"])
    got = await client.get(f"/v1/improvement-plans/{plan['id']}")
    assert got.json() == plan
    assert got.headers["etag"] == '"1"'


async def test_a_plan_starts_today_by_default(
    client: httpx.AsyncClient, registry: FakeRegistry, set_now: Callable[[datetime], None]
) -> None:
    body = plan_body(registry.add_partner())
    del body["starts_on"]

    response = await client.post("/v1/improvement-plans", json=body)

    assert response.json()["starts_on"] == "2027-01-30"


@pytest.mark.parametrize(
    ("goal", "loc", "kind"),
    [
        ({"kpi": "happiness", "target": "1", "due_on": "2027-03-31"}, ["kpi"], "enum"),
        ({"kpi": "nps", "target": "40", "due_on": "2027-01-01"}, ["due_on"], "due_before_start"),
        ({"kpi": "nps", "target": "40", "due_on": "2026-12-01"}, ["due_on"], "due_before_start"),
        ({"kpi": "nps", "target": 40.5, "due_on": "2027-03-31"}, ["target"], "value_error"),
        ({"kpi": "nps", "target": "1e3", "due_on": "2027-03-31"}, ["target"], "value_error"),
        ({"kpi": "nps", "target": "1000000000000", "due_on": "2027-03-31"}, ["target"], "value_error"),
        ({"kpi": "revenue", "target": "90000", "due_on": "2027-03-31"}, ["target"], "target_kind"),
        (
            {"kpi": "nps", "target": {"amount": "40", "currency": "EUR"}, "due_on": "2027-03-31"},
            ["target"],
            "target_kind",
        ),
        (
            {"kpi": "revenue", "target": {"amount": 90000.5, "currency": "EUR"}, "due_on": "2027-03-31"},
            ["target"],
            "value_error",
        ),
        ({"kpi": "nps", "target": "40", "due_on": "2027-03-31", "baseline": 10}, ["baseline"], "value_error"),
        # revenue is summed over the window from 0: a baseline would be silently meaningless
        (
            {
                "kpi": "revenue",
                "target": {"amount": "5.00", "currency": "EUR"},
                "due_on": "2027-03-31",
                "baseline": "3",
            },
            ["baseline"],
            "baseline_not_applicable",
        ),
        (
            {"kpi": "new_customers", "target": "9", "due_on": "2027-03-31", "baseline": "0"},
            ["baseline"],
            "baseline_not_applicable",
        ),
        # 2027-01-01 + 1,830 days: 2027..2031 are 365 + 366 + 365 + 365 + 365 = 1,826 days, so 2032-01-01 is day
        # 1,827 and 2032-01-05 day 1,831: one more than analytics reads KPIs over
        ({"kpi": "nps", "target": "40", "due_on": "2032-01-05"}, ["due_on"], "goal_too_long"),
    ],
)
async def test_bad_goals_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: FakeRegistry,
    set_now: Callable[[datetime], None],
    goal: dict[str, Any],
    loc: list[str],
    kind: str,
) -> None:
    before = await stored(db)

    response = await client.post(
        "/v1/improvement-plans",
        json=plan_body(registry.add_partner(), goals=[GOALS[0], goal]),
        headers={"Idempotency-Key": "bad-goal"},
    )

    assert is_problem(response, 422, "validation-error"), response.text
    error = response.json()["errors"][0]
    assert error["loc"][:4] == ["body", "goals", 1, *loc][:4]
    assert error["type"] == kind
    assert await stored(db) == before


async def test_a_goal_may_run_as_long_as_analytics_reads_and_no_longer(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry, set_now: Callable[[datetime], None]
) -> None:
    partner = registry.add_partner()
    before = await stored(db)

    # the probe's plan: from 2000-01-01 to 2027-06-30 is 27 years and a half, far over 1,830 days
    ancient = await client.post(
        "/v1/improvement-plans",
        json=plan_body(
            partner, starts_on="2000-01-01", goals=[{"kpi": "nps", "target": "50", "due_on": "2027-06-30"}]
        ),
    )
    # 2032-01-04 is day 1,830 from 2027-01-01 (2027..2031: 1,826 days, then 4 more)
    longest = await client.post(
        "/v1/improvement-plans",
        json=plan_body(partner, goals=[{"kpi": "nps", "target": "40", "due_on": "2032-01-04"}]),
    )

    assert is_problem(ancient, 422, "validation-error"), ancient.text
    assert ancient.json()["errors"][0]["loc"] == ["body", "goals", 0, "due_on"]
    assert "at most 1,830 days" in ancient.json()["detail"]
    assert await stored(db) == (before[0] + 1, before[1] + 1, before[2])
    assert longest.status_code == 201, longest.text


async def test_a_window_analytics_refuses_is_a_502_saying_so_and_stores_nothing(
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: FakeRegistry,
    analytics: FakeAnalytics,
    set_now: Callable[[datetime], None],
) -> None:
    plan = await a_plan(client, registry.add_partner())
    # a plan stored before goals were bounded: its window 2020-01-01..2027-01-30 is over 1,830 days long
    await db.execute(
        sa.update(ImprovementPlan)
        .where(ImprovementPlan.id == UUID(plan["id"]))
        .values(starts_on=date(2020, 1, 1))
    )
    before = (await client.get(f"/v1/improvement-plans/{plan['id']}")).json()

    response = await client.post(f"/v1/improvement-plans/{plan['id']}/progress-checks")

    assert is_problem(response, 502, "bad-gateway"), response.text
    problem = response.json()
    assert "errors" not in problem  # analytics' query parameters are not the caller's
    assert problem["detail"] == (
        "analytics refused the partner's KPIs over 2020-01-01..2027-01-30 "
        "(422: a range may span at most 1830 days)"
    )
    assert (await client.get(f"/v1/improvement-plans/{plan['id']}")).json() == before


async def test_an_unknown_partner_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, set_now: Callable[[datetime], None]
) -> None:
    before = await stored(db)

    response = await client.post("/v1/improvement-plans", json=plan_body(UUID(int=7)))

    assert is_problem(response, 422, "validation-error")
    assert response.json()["errors"][0]["type"] == "partner_unknown"
    assert await stored(db) == before


async def test_progress_is_read_from_analytics_over_the_plan_so_far(
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: FakeRegistry,
    analytics: FakeAnalytics,
    set_now: Callable[[datetime], None],
) -> None:
    partner = registry.add_partner()
    plan = await a_plan(client, partner)
    analytics.add(
        kpi_snapshot(partner, START, date(2027, 1, 30), revenue="35000", nps="15", returns_ratio="0.08")
    )

    first = await client.post(f"/v1/improvement-plans/{plan['id']}/progress-checks")

    assert first.status_code == 200, first.text
    # one snapshot serves the three goals: same days, in the revenue target's currency
    assert analytics.requests == [
        f"GET /internal/partners/{partner}/kpis?from=2027-01-01&to=2027-01-30&currency=EUR"
    ]
    goals = first.json()["goals"]
    progress = [goal["progress"] for goal in goals]
    # revenue: 90000 · 30/90 = 30000 expected, 35000 ≥ 30000
    # nps: 10 + (40 - 10) · 30/90 = 20 expected, 15 < 20
    # returns_ratio: first value 0.08 becomes the baseline, expected 0.08 now, 0.08 ≤ 0.08
    assert [(p["state"], p["value"], p["expected"]) for p in progress] == [
        ("on_track", "35000", "30000"),
        ("off_track", "15", "20"),
        ("on_track", "0.08", "0.08"),
    ]
    assert goals[2]["baseline"] == "0.08"
    assert goals[2]["baseline_on"] == "2027-01-30"
    assert (progress[0]["measured_from"], progress[0]["measured_to"]) == ("2027-01-01", "2027-01-30")
    assert first.headers["etag"] == '"2"'
    assert first.json()["last_checked_at"] == "2027-01-30T09:00:00Z"

    set_now(DAY_60)
    analytics.requests.clear()
    analytics.add(
        kpi_snapshot(partner, START, date(2027, 3, 1), revenue="61000", nps="40", returns_ratio="0.01")
    )
    analytics.add(kpi_snapshot(partner, START, date(2027, 2, 28), returns_ratio="0.06"))

    second = await client.post(f"/v1/improvement-plans/{plan['id']}/progress-checks")

    # the returns goal was due on 2027-02-28: read up to that day only, in the partner's own currency
    assert sorted(analytics.requests) == [
        f"GET /internal/partners/{partner}/kpis?from=2027-01-01&to=2027-02-28",
        f"GET /internal/partners/{partner}/kpis?from=2027-01-01&to=2027-03-01&currency=EUR",
    ]
    progress = [goal["progress"] for goal in second.json()["goals"]]
    # revenue: 90000 · 60/90 = 60000 expected, 61000 ≥ 60000; nps: 40 ≥ 40 met (10 + 30 · 60/90 = 30 expected);
    # returns: 0.06 > 0.05 and past due: missed (expected 0.08 + (0.05 - 0.08) · 29/29 = 0.05)
    assert [(p["state"], p["value"], p["expected"]) for p in progress] == [
        ("on_track", "61000", "60000"),
        ("met", "40", "30"),
        ("missed", "0.06", "0.05"),
    ]
    assert progress[2]["measured_to"] == "2027-02-28"
    assert second.headers["etag"] == '"3"'
    stored_goal = await db.scalar(
        sa.select(ImprovementGoal).where(
            ImprovementGoal.plan_id == UUID(plan["id"]), ImprovementGoal.position == 2
        )
    )
    assert stored_goal is not None
    assert stored_goal.state == "missed"


async def test_a_kpi_without_value_or_a_partner_unknown_to_analytics_is_no_data(
    client: httpx.AsyncClient,
    registry: FakeRegistry,
    analytics: FakeAnalytics,
    set_now: Callable[[datetime], None],
) -> None:
    known, unknown = registry.add_partner(), registry.add_partner()
    plan = await a_plan(client, known)
    other = await a_plan(client, unknown)
    analytics.add(kpi_snapshot(known, START, date(2027, 1, 30), revenue="10"))

    answer = (await client.post(f"/v1/improvement-plans/{plan['id']}/progress-checks")).json()
    other_answer = (await client.post(f"/v1/improvement-plans/{other['id']}/progress-checks")).json()

    assert [(g["progress"]["state"], g["progress"]["reason"]) for g in answer["goals"]] == [
        ("off_track", None),  # 10 < 30000
        ("no_data", "not_in_test"),
        ("no_data", "not_in_test"),
    ]
    assert answer["goals"][2]["baseline"] is None
    assert {g["progress"]["reason"] for g in other_answer["goals"]} == {
        "analytics has no data of this partner"
    }


async def test_analytics_unreachable_stores_nothing(
    client: httpx.AsyncClient,
    registry: FakeRegistry,
    analytics: FakeAnalytics,
    set_now: Callable[[datetime], None],
) -> None:
    plan = await a_plan(client, registry.add_partner())
    analytics.reachable = False

    response = await client.post(f"/v1/improvement-plans/{plan['id']}/progress-checks")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get(f"/v1/improvement-plans/{plan['id']}")).json() == plan


async def test_closing_needs_if_match_and_happens_once(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry, set_now: Callable[[datetime], None]
) -> None:
    plan = await a_plan(client, registry.add_partner())
    path = f"/v1/improvement-plans/{plan['id']}"
    body = {"outcome": "succeeded", "note": "Targets reached early."}

    without = await client.post(path + "/closure", json=body)
    stale = await client.post(path + "/closure", json=body, headers={"If-Match": '"7"'})
    closed = await client.post(path + "/closure", json=body, headers={"If-Match": '"1"'})
    again = await client.post(path + "/closure", json={"outcome": "failed"}, headers={"If-Match": '"2"'})
    check = await client.post(path + "/progress-checks")
    bad = await client.post(path + "/closure", json={"outcome": "abandoned"}, headers={"If-Match": '"2"'})

    assert is_problem(without, 428, "precondition-required")
    assert is_problem(stale, 412, "precondition-failed")
    assert closed.status_code == 200, closed.text
    assert closed.headers["etag"] == '"2"'
    assert (closed.json()["status"], closed.json()["closing_note"]) == ("succeeded", "Targets reached early.")
    assert closed.json()["closed_by"]  # the admin the test client signs as
    assert closed.json()["closed_at"] == "2027-01-30T09:00:00Z"
    assert is_problem(again, 409, "improvement-plan-closed")
    assert is_problem(check, 409, "improvement-plan-closed")
    assert is_problem(bad, 422, "validation-error")
    assert (await client.get(path)).json() == closed.json()


async def test_lists_filter_by_status_and_partner_in_pages(
    client: httpx.AsyncClient, registry: FakeRegistry, set_now: Callable[[datetime], None]
) -> None:
    partner, other = registry.add_partner(), registry.add_partner()
    first, second = await a_plan(client, partner), await a_plan(client, partner)
    third = await a_plan(client, other)
    await client.post(
        f"/v1/improvement-plans/{first['id']}/closure",
        json={"outcome": "failed"},
        headers={"If-Match": '"1"'},
    )

    page1 = (
        await client.get("/v1/improvement-plans", params={"partner_id": str(partner), "limit": 1})
    ).json()
    page2 = (
        await client.get(
            "/v1/improvement-plans",
            params={"partner_id": str(partner), "limit": 1, "cursor": page1["next_cursor"]},
        )
    ).json()
    open_ = (await client.get("/v1/improvement-plans", params={"status": "open"})).json()
    failed = (await client.get("/v1/improvement-plans", params={"status": "failed"})).json()
    own = (
        await client.get("/v1/improvement-plans", headers=signed_as(partner_user(other, "scoring:read")))
    ).json()

    assert [p["id"] for p in page1["items"] + page2["items"]] == [second["id"], first["id"]]  # newest first
    assert page2["next_cursor"] is None
    assert {p["id"] for p in open_["items"]} >= {second["id"], third["id"]}
    assert first["id"] not in {p["id"] for p in open_["items"]}
    assert first["id"] in {p["id"] for p in failed["items"]}
    assert [p["id"] for p in own["items"]] == [third["id"]]


async def test_an_event_worker_refreshes_the_goals_a_snapshot_covers(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry, set_now: Callable[[datetime], None]
) -> None:
    partner = registry.add_partner()
    plan = await a_plan(client, partner)

    windows = await service.snapshot_windows_for(db, partner, today=date(2027, 3, 1))
    elsewhere = await service.refresh_plans_for(
        db, partner, kpi_snapshot(partner, START, date(2027, 2, 1), revenue="1"), now=DAY_60
    )
    changed = await service.refresh_plans_for(
        db,
        partner,
        kpi_snapshot(partner, START, date(2027, 2, 28), currency="USD", returns_ratio="0.04"),
        now=DAY_60,
    )

    assert windows == [Window(START, date(2027, 3, 1), "EUR"), Window(START, date(2027, 2, 28), None)]
    assert (elsewhere, changed) == (0, 1)
    answer = (await client.get(f"/v1/improvement-plans/{plan['id']}")).json()
    assert [g["progress"] and g["progress"]["state"] for g in answer["goals"]] == [None, None, "met"]
    assert answer["version"] == 2


async def test_a_customer_count_goal_is_read_over_whole_months_and_judged_at_today(
    client: httpx.AsyncClient,
    registry: FakeRegistry,
    analytics: FakeAnalytics,
    set_now: Callable[[datetime], None],
) -> None:
    """Analytics answers active customers only over whole months (`needs_whole_months` otherwise): a goal on
    them would never have a value if read over the plan's days."""
    partner = registry.add_partner()
    goals = [{"kpi": "active_customers", "target": "90", "due_on": "2027-03-31"}]
    plan = await a_plan(client, partner, goals=goals)
    analytics.add(kpi_snapshot(partner, START, date(2027, 1, 31), active_customers="35"))

    checked = await client.post(f"/v1/improvement-plans/{plan['id']}/progress-checks")

    assert checked.status_code == 200, checked.text
    assert analytics.requests == [f"GET /internal/partners/{partner}/kpis?from=2027-01-01&to=2027-01-31"]
    (progress,) = [goal["progress"] for goal in checked.json()["goals"]]
    # judged on 2027-01-30, day 30 of 90: 90 · 30/90 = 30 expected, 35 ≥ 30
    assert (progress["state"], progress["value"], progress["expected"]) == ("on_track", "35", "30")
    assert (progress["measured_from"], progress["measured_to"]) == ("2027-01-01", "2027-01-31")

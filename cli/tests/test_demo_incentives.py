"""The incentives demo set without a platform: its programmes are valid and use every rule kind, its runs
reach every state over periods of the right kind, the line count it waits for is what the analytics demo
sends, and its wait for the replica ends as it should (a stand-in gateway answers)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import httpx
import pytest
from incentives.programmes.service import check_period_bounds
from prm_cli import demo, demo_incentives
from prm_cli.demo_analytics import DemoPartner, Year, anomalies, year_of_sales
from prm_cli.demo_data import registry
from prm_cli.demo_data.api import Api
from prm_cli.demo_data.registry_data import PARTNERS
from prm_cli.demo_incentives import (
    GROWTH,
    REBATE,
    SPIFF,
    PlannedRun,
    advance,
    calculation_run,
    candidate_terms,
    caught_up_run,
    clawback,
    clawback_return,
    last_full_month,
    lines_between,
    mdf_plan,
    planned_runs,
    programme_bodies,
    sent_line_days,
)
from prm_contracts.incentives import ProgrammeIn, RuleKind, VersionTerms
from prm_contracts.periods import PeriodKind, parse_period, period_containing

pytestmark = pytest.mark.backend_independent

Json = dict[str, Any]
TODAY = date(2026, 11, 18)
YEAR = Year.ending_before(TODAY)


def partners(count: int) -> list[DemoPartner]:
    seeds = [seed for seed in PARTNERS if seed.status in ("active", "suspended")][:count]
    return [
        DemoPartner.of(
            registry.partner_body(seed)
            | {
                "id": str(uuid5(NAMESPACE_URL, f"demo-partner:{seed.key}")),
                "status": seed.status,
                "tier": seed.tiers[-1] if seed.tiers else None,
            }
        )
        for seed in seeds
    ]


def test_the_loader_runs_after_the_analytics_one() -> None:
    names = [loader.name for loader in demo.LOADERS]
    assert names.index("incentives") == names.index("analytics") + 1
    assert demo.LOADERS[names.index("incentives")].load is demo_incentives.load


def test_the_programmes_are_valid_contracts_and_use_every_rule_kind() -> None:
    bodies = [ProgrammeIn.model_validate(body) for body in programme_bodies(YEAR)]

    used = {rule.kind for body in bodies for rule in body.version.rules}
    assert used == set(RuleKind)
    assert {body.name for body in bodies} == {REBATE, GROWTH, SPIFF}
    # the demo year of 18 November 2026 starts on 1 November 2025, in the quarter that starts on 1 October
    assert {body.name: body.version.effective_from for body in bodies} == {
        REBATE: date(2025, 10, 1),
        GROWTH: date(2025, 10, 1),
        SPIFF: YEAR.first,
    }

    # both volume bonus modes, stated
    modes = {
        rule.mode for body in bodies for rule in body.version.rules if rule.kind == RuleKind.VOLUME_BONUS
    }
    assert {mode.value for mode in modes} == {"whole_band", "marginal"}


def test_the_what_if_candidate_is_valid_and_changes_only_the_rebate_rate_and_bonus_mode() -> None:
    terms = next(body for body in programme_bodies(YEAR) if body["name"] == REBATE)["version"]
    original = VersionTerms.model_validate(terms)
    published = original.model_dump(mode="json")  # the terms as the API answers them, every field present

    candidate = VersionTerms.model_validate(candidate_terms(published))

    changed = [
        (before.kind, after.model_dump(exclude={"label"}))
        for before, after in zip(original.rules, candidate.rules, strict=True)
        if before.model_dump(exclude={"label"}) != after.model_dump(exclude={"label"})
    ]
    assert [kind for kind, _ in changed] == ["rebate", "volume_bonus"]
    assert Decimal(changed[0][1]["rate"]) == Decimal("0.025")
    assert changed[1][1]["mode"] == "marginal"
    assert candidate.eligibility == original.eligibility


def test_the_runs_reach_every_state_over_periods_of_their_programmes_kind() -> None:
    runs = planned_runs(YEAR)

    assert [(run.programme, run.period, run.state) for run in runs] == [
        (REBATE, "2026-Q1", "paid"),
        (REBATE, "2026-Q2", "approved"),
        (REBATE, "2026-Q3", "draft"),
        (GROWTH, "2026-Q3", "draft"),
        (SPIFF, "2026-09", "draft"),
        (SPIFF, "2026-10", "draft"),  # November is not over on the 18th
    ]
    kinds = {body["name"]: PeriodKind(body["period_type"]) for body in programme_bodies(YEAR)}
    for run in runs:
        period = parse_period(run.period)
        assert period.kind is kinds[run.programme]
        assert (period.first_day, period.last_day) == (run.first, run.last)
        assert YEAR.first <= run.first
        assert run.last <= YEAR.last


def test_the_last_full_month_is_the_years_last_one_when_it_is_over() -> None:
    assert last_full_month(Year.ending_before(date(2026, 12, 1))) == (
        "2026-11",
        date(2026, 11, 1),
        date(2026, 11, 30),
    )
    assert last_full_month(YEAR) == ("2026-10", date(2026, 10, 1), date(2026, 10, 31))


def test_the_awaited_count_is_every_distinct_line_the_analytics_demo_sends() -> None:
    chosen = partners(6)
    sales = {partner.id: year_of_sales(partner, YEAR) for partner in chosen}
    flagged = anomalies(chosen, sales, YEAR)
    sent = [line for p in chosen for line in [*sales[p.id], *flagged.get(p.id, [])]]

    days = sent_line_days(chosen, YEAR, TODAY)

    # the analytics demo's external ids are unique per partner, so every line sent is one line stored
    assert len({(p.id, line["external_id"]) for p in chosen for line in sales[p.id]}) == sum(
        len(lines) for lines in sales.values()
    )
    assert sum(days.values()) == len(sent)
    q3 = [line for line in sent if "2026-07-01" <= line["occurred_on"] <= "2026-09-30"]
    assert lines_between(days, date(2026, 7, 1), date(2026, 9, 30)) == len(q3) > 0


def test_the_mdf_plan_fits_the_budget_and_reaches_several_states() -> None:
    plan = mdf_plan(partners(12))

    assert len(plan) == 3
    assert all(partner.status == "active" for partner, _, _ in plan)
    assert sum(Decimal(amount) for _, amount, _ in plan) <= Decimal("60000.00")
    for _, amount, outline in plan:
        assert outline is not None
        assert Decimal(outline["planned"]) <= Decimal(amount)
        assert outline["claim"] is None or Decimal(outline["claim"]) <= Decimal(outline["planned"])
    assert {outline["request_state"] for _, _, outline in plan if outline} == {"approved", "pending"}
    assert {outline["claim_state"] for _, _, outline in plan if outline} == {"paid", "pending", None}


def test_the_clawback_returns_a_sale_of_the_paid_quarter_in_the_latest_one() -> None:
    runs = planned_runs(YEAR)
    paid_quarter, latest = runs[0], runs[2]
    chosen = partners(6)

    found = clawback_return(chosen, YEAR, paid_quarter, latest)

    assert found is not None
    partner, returned = found
    assert partner.status == "active"
    sale = next(
        line
        for line in year_of_sales(partner, YEAR)
        if line["external_id"] == returned["original_external_id"]
    )
    assert sale["kind"] == "sale"
    assert paid_quarter.first <= date.fromisoformat(sale["occurred_on"]) <= paid_quarter.last
    assert (returned["kind"], returned["occurred_on"]) == ("return", latest.first.isoformat())
    assert (returned["amount"], returned["currency"]) == (sale["amount"], sale["currency"])


# --- against a stand-in gateway ----------------------------------------------------------------------------


class RunsGateway:
    """Calculation runs as the loader sees them: each POST recomputes the draft, whose payouts count the
    lines in `counts` one after the other (the last one repeating); or 409 when the run is locked."""

    def __init__(self, counts: list[int], status: str = "draft") -> None:
        self.counts = counts
        self.status = status
        self.posts: list[str] = []
        self.runs = 0

    def run(self) -> Json:
        return {"id": "run-1", "period": "2026-Q3", "status": self.status}

    def answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST":
            self.posts.append(path)
        if request.method == "POST" and path == "/v1/calculation-runs":
            if self.status != "draft":
                return httpx.Response(409, json={"title": "Calculation run is approved", "status": 409})
            self.runs += 1
            return httpx.Response(200, json=self.run())
        if path == "/v1/calculation-runs":
            other = {"id": "run-0", "period": "2026-Q2", "status": "paid"}
            return httpx.Response(200, json={"items": [other, self.run()], "next_cursor": None})
        if path == "/v1/calculation-runs/run-1/payouts":
            counted = self.counts[min(self.runs, len(self.counts)) - 1]
            items = [{"lines": counted - 1, "held_lines": 1}]
            return httpx.Response(200, json={"items": items, "next_cursor": None})
        for step, status in (("approval", "approved"), ("payment", "paid")):
            if path == f"/v1/calculation-runs/run-1/{step}":
                self.status = status
                return httpx.Response(200, json=self.run())
        raise AssertionError(f"unexpected {request.method} {path}")


PLANNED = PlannedRun(REBATE, "2026-Q3", date(2026, 7, 1), date(2026, 9, 30), "draft")


async def wait_for(
    gateway: RunsGateway, expected: int, *, wait_seconds: float = 60
) -> tuple[Json, list[float]]:
    ticks: list[float] = []

    async def sleep(seconds: float) -> None:
        ticks.append(seconds)

    async with httpx.AsyncClient(
        base_url="http://gateway", transport=httpx.MockTransport(gateway.answer)
    ) as client:
        run = await caught_up_run(
            Api(client),
            "programme-1",
            PLANNED,
            expected,
            wait_seconds=wait_seconds,
            poll_seconds=1.0,
            clock=lambda: float(len(ticks)),
            sleep=sleep,
        )
    return run, ticks


@pytest.mark.asyncio
async def test_the_draft_is_run_again_until_it_counts_every_line_sent() -> None:
    gateway = RunsGateway(counts=[3, 7, 10])

    run, ticks = await wait_for(gateway, expected=10)

    assert (run["status"], gateway.runs, ticks) == ("draft", 3, [1.0, 1.0])


@pytest.mark.asyncio
async def test_the_wait_ends_when_the_count_stops_moving_below_what_was_expected() -> None:
    gateway = RunsGateway(counts=[3, 4])

    _, ticks = await wait_for(gateway, expected=10)

    # 3, then 4 five times in a row after the first 4: a data folder whose sales were loaded on another day
    assert gateway.runs == 2 + demo_incentives.STABLE_POLLS
    assert len(ticks) == gateway.runs - 1


@pytest.mark.asyncio
async def test_the_wait_ends_at_its_deadline() -> None:
    gateway = RunsGateway(counts=list(range(1, 100)))

    _, ticks = await wait_for(gateway, expected=1000, wait_seconds=4)

    assert (gateway.runs, len(ticks)) == (5, 4)  # at 0, 1, 2, 3 and 4 s (the deadline)


@pytest.mark.asyncio
async def test_a_locked_run_is_reused_and_states_already_reached_are_not_asked_again() -> None:
    gateway = RunsGateway(counts=[1], status="approved")

    async with httpx.AsyncClient(
        base_url="http://gateway", transport=httpx.MockTransport(gateway.answer)
    ) as client:
        api = Api(client)
        run = await calculation_run(api, "programme-1", "2026-Q3")
        assert run["id"] == "run-1"  # the listed run of the period, not the paid one of Q2
        assert await advance(api, run, "approved") == run
        paid = await advance(api, run, "paid")

    assert paid["status"] == "paid"
    assert gateway.posts == ["/v1/calculation-runs", "/v1/calculation-runs/run-1/payment"]


@pytest.mark.asyncio
async def test_a_draft_goes_to_paid_through_approval() -> None:
    gateway = RunsGateway(counts=[1])

    async with httpx.AsyncClient(
        base_url="http://gateway", transport=httpx.MockTransport(gateway.answer)
    ) as client:
        paid = await advance(Api(client), gateway.run(), "paid")

    assert paid["status"] == "paid"
    assert gateway.posts == ["/v1/calculation-runs/run-1/approval", "/v1/calculation-runs/run-1/payment"]


class ClawbackGateway:
    """The return's way in: a webhook secret, the signed sales webhook, and the latest quarter's draft run
    again until its adjustments show the clawback (after `runs_before` runs)."""

    def __init__(self, runs_before: int) -> None:
        self.runs_before = runs_before
        self.runs = 0
        self.sent: list[Json] = []

    def answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/webhook-secrets"):
            return httpx.Response(201, json={"secret": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
        if path.endswith("/sales"):
            assert "webhook-signature" in request.headers
            assert "authorization" not in request.headers
            self.sent += json.loads(request.content)["data"]["transactions"]
            return httpx.Response(200, json={"counts": {"accepted": 1, "duplicate": 0, "rejected": 0}})
        if request.method == "POST" and path == "/v1/calculation-runs":
            self.runs += 1
            return httpx.Response(200, json={"id": "run-3", "period": "2026-Q3", "status": "draft"})
        if path == "/v1/adjustments":
            items = [{"kind": "manual"}] + ([{"kind": "clawback"}] if self.runs > self.runs_before else [])
            return httpx.Response(200, json={"items": items, "next_cursor": None})
        raise AssertionError(f"unexpected {request.method} {path}")


@pytest.mark.asyncio
async def test_the_clawback_is_sent_signed_and_the_draft_run_again_until_it_shows() -> None:
    runs = planned_runs(YEAR)
    partner, returned = clawback_return(partners(6), YEAR, runs[0], runs[2]) or (None, {})
    assert partner is not None
    gateway, ticks = ClawbackGateway(runs_before=2), []

    async def sleep(seconds: float) -> None:
        ticks.append(seconds)

    async with httpx.AsyncClient(
        base_url="http://gateway",
        transport=httpx.MockTransport(gateway.answer),
        headers={"Authorization": "Bearer the-admin-key"},
    ) as client:
        found = await clawback(
            client, Api(client), "programme-1", runs[2], partner, returned,
            clock=lambda: float(len(ticks)), sleep=sleep,
        )  # fmt: skip

    assert found == {"kind": "clawback"}
    assert [line["external_id"] for line in gateway.sent] == [returned["external_id"]]
    assert (gateway.runs, ticks) == (3, [1.0, 1.0])


@pytest.mark.parametrize("today", [date(2026, 12, 3), date(2026, 2, 10), date(2026, 4, 1)])
def test_each_programme_starts_on_the_first_day_of_its_period_the_demo_year_starts_in(today: date) -> None:
    """A version starts on a period's first day (the API refuses others): the demo year of 3 December 2026
    starts 1 December 2025, so the quarterly programmes start on 1 October 2025 and the monthly one then."""
    year = Year.ending_before(today)

    for body in (ProgrammeIn.model_validate(body) for body in programme_bodies(year)):
        start = period_containing(body.period_type, year.first).first_day
        assert body.version.effective_from == start, body.name
        assert start <= year.first
        check_period_bounds(body.version, body.period_type, ["body", "version"])  # what the API checks

"""The scoring demo loader, run against the real scoring app in-process as an admin; the registry's demo
partners (from `prm_cli.demo_data.registry_data`) stand in for the registry at the HTTP boundary, both for the
loader (the gateway's `/v1/partners`) and for scoring (the partner facts its gates read)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import httpx
import pytest
import pytest_asyncio
from prm_cli import demo, demo_scoring, demo_scoring_health
from prm_cli.demo_data import registry
from prm_cli.demo_data.registry_data import PARTNERS, PartnerSeed
from prm_kit.testing import ADMIN, TEST_SECRET, rolled_back_app
from scoring.config import Settings
from scoring.main import MIGRATIONS_DIR, create_app

Json = dict[str, Any]
NOW = datetime(2026, 11, 1, tzinfo=UTC).isoformat()


def partner_id(seed: PartnerSeed) -> str:
    return str(uuid5(NAMESPACE_URL, f"demo-partner:{seed.key}"))


def partner_record(seed: PartnerSeed) -> Json:
    """The seed as the registry answers it (PartnerOut)."""
    return registry.partner_body(seed) | {
        "id": partner_id(seed),
        "status": seed.status,
        "status_changed_at": NOW,
        "status_reason": seed.status_reason,
        "tier": seed.tiers[-1] if seed.tiers else None,
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }


RECORDS = {partner_id(seed): partner_record(seed) for seed in PARTNERS}


def _summary(partner: str) -> Json:
    return {
        "partner_id": partner,
        "as_of": "2026-11-01",
        "open_violations": {"low": 0, "medium": 0, "high": 0, "critical": 0},
        "open_violations_total": 0,
        "oldest_open_violation_opened_on": None,
        "violations_by_status": {"open": 0, "remediating": 0, "resolved": 0, "waived": 0},
        "audit_count": 0,
        "last_audit": None,
        "audits_failed": 0,
        "has_current_agreement": True,
    }


def registry_answer(request: httpx.Request) -> httpx.Response | None:
    """The registry's partner list, partners and compliance summaries; None for any other path."""
    parts = request.url.path.strip("/").split("/")
    if parts == ["v1", "partners"]:
        statuses = request.url.params.get_list("status")
        items = sorted(
            (r for r in RECORDS.values() if r["status"] in statuses), key=lambda r: r["display_name"].lower()
        )
        return httpx.Response(200, json={"items": items, "next_cursor": None})
    if parts[:2] == ["v1", "partners"] and len(parts) >= 3 and parts[2] in RECORDS:
        if len(parts) == 3:
            return httpx.Response(200, json=RECORDS[parts[2]])
        if parts[3:] == ["compliance", "summary"]:
            return httpx.Response(200, json=_summary(parts[2]))
    return None


def registry_for_scoring(request: httpx.Request) -> httpx.Response:
    return registry_answer(request) or httpx.Response(404, json={"title": "Not found", "status": 404})


class DemoGateway(httpx.AsyncBaseTransport):
    """The gateway as the loader sees it: `/v1/partners` from the registry stand-in, the rest to scoring."""

    def __init__(self, scoring: httpx.AsyncClient) -> None:
        self.scoring = scoring

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer = registry_answer(request)
        if answer is not None:
            return answer
        headers = {
            k: v for k, v in request.headers.items() if k in {"idempotency-key", "if-match", "content-type"}
        }
        await request.aread()
        response = await self.scoring.request(
            request.method,
            request.url.path,
            params=request.url.params,
            content=request.content,
            headers=headers,
        )
        return httpx.Response(response.status_code, headers=response.headers, content=response.content)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def loaded(
    migrated_database: Callable[[str, Path], str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """Scoring with the demo set loaded; the client calls it as the gateway would for an admin key."""
    database_url = migrated_database("scoring", MIGRATIONS_DIR)
    settings = Settings(
        internal_secret=TEST_SECRET,
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("demo"),
        score_refresh_seconds=0,  # no background worker on the test's connection
    )
    app = create_app(settings, registry_transport=httpx.MockTransport(registry_for_scoring))
    async with (
        rolled_back_app(app, database_url, principal=ADMIN) as (client, _session),
        httpx.AsyncClient(base_url="http://gateway", transport=DemoGateway(client)) as gateway,
    ):
        await demo_scoring.load(gateway)
        yield client


def test_the_scoring_loader_runs_after_the_registrys() -> None:
    assert [(loader.name, loader.load) for loader in demo.LOADERS][:2] == [
        ("registry", registry.load),
        ("scoring", demo_scoring.load),
    ]


@pytest.mark.asyncio(loop_scope="session")
async def test_the_scoring_demo_set_reads_back_through_the_api(loaded: httpx.AsyncClient) -> None:
    client = loaded
    models = (await client.get("/v1/evaluation-models")).json()["items"]
    model = next(m for m in models if m["name"] == "partner-evaluation")
    draft = (await client.get(f"/v1/evaluation-models/{model['id']}/versions/2")).json()
    assessments = (await client.get("/v1/assessments", params={"limit": 200})).json()["items"]
    plans = (await client.get("/v1/improvement-plans")).json()["items"]

    # version 1 stays current; version 2 is a draft weighing technical capability 4
    assert (model["current_version"], model["latest_version"]) == (1, 2)
    assert (draft["status"], draft["notes"]) == ("draft", demo_scoring.DRAFT_NOTES)
    assert {c["key"]: c["weight"] for c in draft["criteria"]}["certified_engineers"] == "4"

    # 24 active + 2 suspended demo partners, one assessment each
    by_partner = {a["partner_id"]: a for a in assessments}
    assert len(assessments) == len(by_partner) == 26
    names = {RECORDS[a["partner_id"]]["display_name"]: a for a in assessments}
    # weights 2, 3, 2, 1, 2, 1 (Σ 11) over segments (0-4), years (0-10), employee bands, marketing team,
    # certified engineers (0-5; platinum 5, gold 4, silver 2, registered 1) and support desk:
    # Nordwind: 3 segments 75·2 + 10+ years 100·3 + 640 staff 100·2 + 100 + 5 engineers 100·2 + 100
    #   = 1050 / 11 = 95.4545… → 95.45, A
    # Lagom (silver again): 25·2 + 100·3 + 22 staff 80·2 + 0 + 2 engineers 40·2 + 100 = 690 / 11 → 62.73, C
    # Hanse: 25·2 + 100·3 + 7 staff 50·2 + 0 + 1 engineer 20·2 + 0 = 490 / 11 = 44.5454… → 44.55, D
    assert (names["Nordwind Distribution"]["total"], names["Nordwind Distribution"]["grade"]) == (
        "95.45",
        "A",
    )
    assert (names["Lagom Nätverk"]["total"], names["Lagom Nätverk"]["grade"]) == ("62.73", "C")
    assert (names["Hanse Vertrieb"]["total"], names["Hanse Vertrieb"]["grade"]) == ("44.55", "D")
    assert len({a["grade"] for a in assessments}) >= 3

    # one plan, for the active partner with the lowest total
    weakest = min(
        (a for a in assessments if RECORDS[a["partner_id"]]["status"] == "active"),
        key=lambda a: (Decimal(a["total"]), RECORDS[a["partner_id"]]["display_name"]),
    )
    assert len(plans) == 1
    assert plans[0]["partner_id"] == weakest["partner_id"]
    assert [g["kpi"] for g in plans[0]["goals"]] == ["revenue", "nps", "returns_ratio"]
    revenue = RECORDS[weakest["partner_id"]]["annual_revenue"]
    assert plans[0]["goals"][0]["target"]["currency"] == revenue["currency"]


# --- the `scoring-health` loader: queue a run, then wait (bounded) for the worker --------------------------


def test_the_health_loader_runs_after_analytics() -> None:
    names = [loader.name for loader in demo.LOADERS]
    assert names.index("scoring-health") > names.index("analytics")
    assert demo.LOADERS[names.index("scoring-health")].load is demo_scoring_health.load


class HealthGateway:
    """The gateway as the health loader sees it: two demo partners, a run endpoint, and a batch whose scores
    get their health and tier standing after `ready_after` batch calls."""

    def __init__(self, ready_after: int) -> None:
        self.ids = [str(uuid5(NAMESPACE_URL, f"demo-health:{n}")) for n in range(2)]
        self.ready_after = ready_after
        self.runs: list[Json] = []
        self.batches = 0

    def answer(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/partners":
            return httpx.Response(200, json={"items": [{"id": i} for i in self.ids], "next_cursor": None})
        if request.url.path == "/v1/tier-recommendations/runs":
            self.runs.append(json.loads(request.content))
            return httpx.Response(202, json={"queued": 2, "requested_at": NOW})
        assert request.url.path == "/v1/scores/batch"
        self.batches += 1
        ready = self.batches > self.ready_after
        summary = {"health": "warning" if ready else None, "tier_action": "keep" if ready else None}
        items = [{"partner_id": self.ids[0], "found": True, "score": summary}]
        items.append({"partner_id": self.ids[1], "found": ready, "score": summary if ready else None})
        return httpx.Response(200, json={"items": items})


async def _run_health_loader(gateway: HealthGateway, *, wait_seconds: float) -> list[float]:
    ticks: list[float] = []

    async def sleep(seconds: float) -> None:
        ticks.append(seconds)

    async with httpx.AsyncClient(
        base_url="http://gateway", transport=httpx.MockTransport(gateway.answer)
    ) as client:
        await demo_scoring_health.load(
            client, wait_seconds=wait_seconds, poll_seconds=0.5, clock=lambda: 0.5 * len(ticks), sleep=sleep
        )
    return ticks


@pytest.mark.asyncio
async def test_the_health_loader_queues_every_demo_partner_and_waits_for_their_standing() -> None:
    gateway = HealthGateway(ready_after=3)

    ticks = await _run_health_loader(gateway, wait_seconds=10)

    assert gateway.runs == [{"partner_ids": gateway.ids}]
    assert (gateway.batches, ticks) == (4, [0.5, 0.5, 0.5])  # three answers not ready, the fourth ready


@pytest.mark.asyncio
async def test_the_health_loader_gives_up_at_its_deadline_naming_what_is_missing() -> None:
    gateway = HealthGateway(ready_after=1000)

    with pytest.raises(demo_scoring_health.ScoresNotReady, match="for 2 of 2 demo partners within 2 s"):
        await _run_health_loader(gateway, wait_seconds=2)

    assert gateway.batches == 5  # at 0, 0.5, 1, 1.5 and 2 s (the deadline)


def test_not_ready_names_missing_scores_and_scores_without_health_or_tier() -> None:
    batch = {
        "items": [
            {"partner_id": "a", "found": True, "score": {"health": "healthy", "tier_action": "keep"}},
            {"partner_id": "b", "found": False, "score": None},
            {"partner_id": "c", "found": True, "score": {"health": None, "tier_action": None}},
            {"partner_id": "d", "found": True, "score": {"health": "critical", "tier_action": None}},
        ]
    }

    assert demo_scoring_health.not_ready(batch) == ["b", "c", "d"]

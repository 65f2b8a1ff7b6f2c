"""`prm events dead-letters` and `prm events replay` talk to the gateway with an admin key (a stand-in gateway
here; the endpoints themselves are tested in shared/kit/tests/test_dead_letters.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx
import pytest
from click.testing import Result
from prm_cli import events
from prm_cli.events import list_dead_letters, print_dead_letters, replay_dead_letter
from prm_kit.dead_letters import DeadLetterState

pytestmark = pytest.mark.backend_independent

EVENT = UUID("6f1c1d1e-1111-4a4a-8b8b-000000000001")
GATEWAY = "http://gateway.test"


def a_letter(service: str, n: int, *, replayed: bool = False) -> dict[str, Any]:
    return {
        "service": service,
        "event_id": f"6f1c1d1e-1111-4a4a-8b8b-{n:012d}",
        "event_type": "partner.updated",
        "occurred_at": "2026-11-30T09:00:00Z",
        "subscriber": "http://analytics:8004",
        "status_code": 422,
        "detail": f"bad event {n}",
        "attempts": 5,
        "parked_at": "2026-11-30T09:01:00Z",
        "replayed_at": "2026-11-30T10:00:00Z" if replayed else None,
    }


def problem(status: int, slug: str, detail: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={"type": f"/problems/{slug}", "title": slug, "status": status, "detail": detail},
        headers={"content-type": "application/problem+json"},
    )


def gateway(
    answer: Callable[[httpx.Request], httpx.Response], sent: list[httpx.Request]
) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return answer(request)

    return httpx.MockTransport(handle)


@pytest.mark.asyncio
async def test_listing_asks_each_service_follows_pages_and_reports_one_that_cannot_answer() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        service = request.url.path.rsplit("/", 1)[-1]
        if service == "scoring":
            return problem(503, "service-unavailable", "the scoring service cannot be reached; retry later")
        if service == "registry" and "cursor" not in request.url.params:
            return httpx.Response(200, json={"items": [a_letter("registry", 1)], "next_cursor": "page-2"})
        if service == "registry":
            return httpx.Response(200, json={"items": [a_letter("registry", 2)], "next_cursor": None})
        return httpx.Response(200, json={"items": [], "next_cursor": None})

    found = await list_dead_letters(
        gateway_url=GATEWAY,
        key="prm_admin",
        services=["registry", "scoring", "analytics"],
        state=DeadLetterState.parked,
        transport=gateway(answer, sent),
    )

    assert [(entry.service, len(entry.letters), entry.error) for entry in found] == [
        ("registry", 2, None),
        ("scoring", 0, "the scoring service cannot be reached; retry later"),
        ("analytics", 0, None),
    ]
    assert [letter.detail for letter in found[0].letters] == ["bad event 1", "bad event 2"]
    assert [request.url.path for request in sent] == [
        "/v1/event-dead-letters/registry",
        "/v1/event-dead-letters/registry",
        "/v1/event-dead-letters/scoring",
        "/v1/event-dead-letters/analytics",
    ]
    assert sent[1].url.params["cursor"] == "page-2"
    assert all(request.headers["authorization"] == "Bearer prm_admin" for request in sent)
    assert all(request.url.params["state"] == "parked" for request in sent)


@pytest.mark.asyncio
async def test_a_key_that_is_no_admin_key_stops_the_listing() -> None:
    sent: list[httpx.Request] = []
    refused = gateway(
        lambda _request: problem(403, "forbidden", "this operation needs the scope 'admin'"), sent
    )

    with pytest.raises(Exception, match="needs the scope 'admin'"):
        await list_dead_letters(
            gateway_url=GATEWAY,
            key="prm_reader",
            services=["registry", "scoring"],
            state=DeadLetterState.all,
            transport=refused,
        )
    assert len(sent) == 1


@pytest.mark.asyncio
async def test_a_replay_posts_to_the_services_replays_of_that_event() -> None:
    sent: list[httpx.Request] = []
    taken = {
        "event_id": str(EVENT),
        "replayed": True,
        "dead_letters": [a_letter("registry", 1, replayed=True)],
    }
    transport = gateway(lambda _request: httpx.Response(200, json=taken), sent)

    outcome = await replay_dead_letter(
        gateway_url=GATEWAY,
        key="prm_admin",
        service="registry",
        event_id=EVENT,
        subscriber="http://analytics:8004",
        transport=transport,
    )

    assert outcome.replayed is True
    (request,) = sent
    assert (request.method, request.url.path) == ("POST", f"/v1/event-dead-letters/registry/{EVENT}/replays")
    assert json.loads(request.content) == {"subscriber": "http://analytics:8004"}


def test_the_table_shows_whole_event_ids_and_why_each_was_refused(capsys: pytest.CaptureFixture[str]) -> None:
    found = [
        events.ServiceDeadLetters(
            "registry", [events.EventDeadLetterOut.model_validate(a_letter("registry", 7))]
        ),
        events.ServiceDeadLetters("scoring", [], error="the scoring service cannot be reached"),
    ]

    print_dead_letters(found)

    out = capsys.readouterr().out
    assert "6f1c1d1e-1111-4a4a-8b8b-000000000007" in out
    assert "bad event 7" in out
    assert "scoring: the scoring service cannot be reached" in out


def test_an_unknown_service_is_refused_before_anything_is_sent(prm: Callable[..., Result]) -> None:
    listing = prm("events", "dead-letters", "--service", "gateway", "--key", "k")
    replay = prm("events", "replay", str(EVENT), "--service", "billing", "--key", "k")

    assert listing.exit_code == 2
    assert "choose one of" in listing.output
    assert replay.exit_code == 2


def test_a_refused_replay_exits_1_and_says_why(
    prm: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = {"event_id": str(EVENT), "replayed": False, "dead_letters": [a_letter("registry", 3)]}

    async def stand_in(**_kwargs: Any) -> events.EventReplayOut:
        return events.EventReplayOut.model_validate(refused)

    monkeypatch.setattr(events, "replay_dead_letter", stand_in)

    result = prm("events", "replay", str(EVENT), "--service", "registry", "--key", "k")

    assert result.exit_code == 1
    assert "Still parked" in result.output
    assert "422: bad event 3" in result.output

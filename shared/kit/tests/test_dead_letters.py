"""Admins see every service's dead letters and replay them: `/v1/event-dead-letters/<service>`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from fastapi import FastAPI
from prm_contracts.principal import ADMIN_SCOPE, Principal
from prm_kit.db.ids import ordered_id
from prm_kit.http_clients import service_http_client
from prm_kit.internal_auth import INTERNAL_HEADER, PrincipalVerifier
from prm_kit.outbox import add_event, outbox_dead_letter
from prm_kit.testing import TEST_SECRET, internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

pytestmark = pytest.mark.asyncio

BASE = "/v1/event-dead-letters/kittest"
SUBSCRIBER = "http://analytics:8004"
OTHER = "http://incentives:8003"
PARKED_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def a_dead_letter(
    db: AsyncSession,
    *,
    subscriber: str = SUBSCRIBER,
    parked_at: datetime = PARKED_AT,
    event_id: UUID | None = None,
    replayed: bool = False,
) -> UUID:
    """A delivered event (or `event_id`'s) that `subscriber` refused and parked."""
    if event_id is None:
        event_id = await add_event(db, type="partner.updated", source="kittest", data={"partner": "p-1"})
    await db.execute(
        sa.insert(outbox_dead_letter).values(
            id=ordered_id(),
            event_id=event_id,
            subscriber=subscriber,
            status_code=422,
            detail="data.partner: not a UUID",
            attempts=5,
            last_refused_at=parked_at,
            parked_at=parked_at,
            replayed_at=parked_at + timedelta(hours=1) if replayed else None,
        )
    )
    return event_id


Answer = Callable[[httpx.Request], httpx.Response]


@pytest_asyncio.fixture(loop_scope="session")
async def subscribers(app: FastAPI) -> AsyncIterator[Callable[[Answer], list[httpx.Request]]]:
    """`subscribers(answer)`: the network to subscribers answers so; returns the list of requests sent."""
    clients: list[httpx.AsyncClient] = []

    def install(answer: Answer) -> list[httpx.Request]:
        sent: list[httpx.Request] = []

        def handle(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return answer(request)

        client = service_http_client(
            "", service="kittest", secret=TEST_SECRET, transport=httpx.MockTransport(handle)
        )
        clients.append(client)
        app.state.events_http = client
        return sent

    yield install
    for client in clients:
        await client.aclose()


def accepts(_request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"accepted": 1, "duplicates": 0})


def refuses(_request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        422,
        json={
            "type": "/problems/validation",
            "title": "Invalid",
            "status": 422,
            "detail": "still not a UUID",
        },
        headers={"content-type": "application/problem+json"},
    )


async def test_admins_list_parked_letters_newest_first_in_pages(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    oldest = await a_dead_letter(db, parked_at=PARKED_AT)
    middle = await a_dead_letter(db, parked_at=PARKED_AT + timedelta(minutes=1))
    newest = await a_dead_letter(db, parked_at=PARKED_AT + timedelta(minutes=2))
    await a_dead_letter(db, parked_at=PARKED_AT + timedelta(minutes=3), replayed=True)

    first = await client.get(BASE, params={"limit": 2})
    second = await client.get(BASE, params={"limit": 2, "cursor": first.json()["next_cursor"]})

    assert first.status_code == 200, first.text
    assert [item["event_id"] for item in first.json()["items"]] == [str(newest), str(middle)]
    assert [item["event_id"] for item in second.json()["items"]] == [str(oldest)]
    assert second.json()["next_cursor"] is None
    item = first.json()["items"][0]
    assert item["service"] == "kittest"
    assert item["event_type"] == "partner.updated"
    assert item["subscriber"] == SUBSCRIBER
    assert (item["status_code"], item["attempts"], item["detail"]) == (422, 5, "data.partner: not a UUID")
    assert item["replayed_at"] is None


async def test_the_state_filter_shows_replayed_or_all_letters(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    parked = await a_dead_letter(db)
    replayed = await a_dead_letter(db, replayed=True)

    def ids(answer: httpx.Response) -> set[str]:
        return {item["event_id"] for item in answer.json()["items"]}

    assert ids(await client.get(BASE, params={"state": "replayed"})) == {str(replayed)}
    assert ids(await client.get(BASE, params={"state": "all"})) == {str(parked), str(replayed)}
    bad = await client.get(BASE, params={"state": "lost"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


async def test_a_replay_the_subscriber_takes_marks_the_letter_replayed(
    client: httpx.AsyncClient, db: AsyncSession, subscribers: Any
) -> None:
    event_id = await a_dead_letter(db)
    sent = subscribers(accepts)

    replay = await client.post(f"{BASE}/{event_id}/replays")
    again = await client.post(f"{BASE}/{event_id}/replays")

    assert replay.status_code == 200, replay.text
    assert replay.json()["replayed"] is True
    (letter,) = replay.json()["dead_letters"]
    assert letter["replayed_at"] is not None
    assert [str(request.url) for request in sent] == [f"{SUBSCRIBER}/internal/events"]
    (event,) = json.loads(sent[0].content)["events"]
    assert event["id"] == str(event_id)
    # the subscriber takes it from a signed internal caller, as from the relay
    assert (
        PrincipalVerifier(TEST_SECRET).verify(sent[0].headers[INTERNAL_HEADER]).subject == "service:kittest"
    )
    assert (await client.get(BASE)).json()["items"] == []
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert len(sent) == 1


async def test_a_refused_replay_keeps_the_letter_parked_with_the_new_error(
    client: httpx.AsyncClient, db: AsyncSession, subscribers: Any
) -> None:
    event_id = await a_dead_letter(db)
    subscribers(refuses)

    replay = await client.post(f"{BASE}/{event_id}/replays")

    assert replay.status_code == 200, replay.text
    assert replay.json()["replayed"] is False
    (letter,) = replay.json()["dead_letters"]
    assert (letter["replayed_at"], letter["detail"], letter["status_code"]) == (None, "still not a UUID", 422)
    (listed,) = (await client.get(BASE)).json()["items"]
    assert listed["detail"] == "still not a UUID"


async def test_an_unreachable_subscriber_keeps_the_letter_parked(
    client: httpx.AsyncClient, db: AsyncSession, subscribers: Any
) -> None:
    event_id = await a_dead_letter(db)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    subscribers(unreachable)

    replay = await client.post(f"{BASE}/{event_id}/replays")

    assert replay.status_code == 200
    (letter,) = replay.json()["dead_letters"]
    assert (letter["replayed_at"], letter["status_code"]) == (None, 422)
    assert letter["detail"] == f"{SUBSCRIBER}: ConnectError"


async def test_a_replay_goes_to_the_chosen_subscriber_only(
    client: httpx.AsyncClient, db: AsyncSession, subscribers: Any
) -> None:
    event_id = await a_dead_letter(db, subscriber=SUBSCRIBER)
    await a_dead_letter(db, subscriber=OTHER, event_id=event_id)
    sent = subscribers(accepts)

    replay = await client.post(f"{BASE}/{event_id}/replays", json={"subscriber": OTHER + "/"})

    assert replay.status_code == 200, replay.text
    assert [letter["subscriber"] for letter in replay.json()["dead_letters"]] == [OTHER]
    assert [request.url.host for request in sent] == ["incentives"]
    (still_parked,) = (await client.get(BASE)).json()["items"]
    assert still_parked["subscriber"] == SUBSCRIBER


async def test_replaying_what_is_not_parked_is_a_404_and_sends_nothing(
    client: httpx.AsyncClient, db: AsyncSession, subscribers: Any
) -> None:
    event_id = await a_dead_letter(db)
    sent = subscribers(accepts)

    unknown = await client.post(f"{BASE}/{uuid4()}/replays")
    other_subscriber = await client.post(f"{BASE}/{event_id}/replays", json={"subscriber": OTHER})
    bad_body = await client.post(f"{BASE}/{event_id}/replays", json={"subscriber": OTHER, "extra": 1})

    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert other_subscriber.status_code == 404
    assert bad_body.status_code == 422
    assert sent == []


@pytest.mark.parametrize(
    "principal",
    [
        pytest.param(
            Principal(subject="key:bound", scopes=frozenset({ADMIN_SCOPE}), partner_id=uuid4()),
            id="partner-bound admin key",
        ),
        pytest.param(
            Principal(subject="key:manager", scopes=frozenset({"partners:write", "analytics:write"})),
            id="key without the admin scope",
        ),
    ],
)
async def test_only_admins_see_or_replay_dead_letters(
    client: httpx.AsyncClient, db: AsyncSession, subscribers: Any, principal: Principal
) -> None:
    event_id = await a_dead_letter(db)
    sent = subscribers(accepts)
    headers = internal_headers(principal)

    listed = await client.get(BASE, headers=headers)
    replayed = await client.post(f"{BASE}/{event_id}/replays", headers=headers)

    assert (listed.status_code, replayed.status_code) == (403, 403)
    assert listed.json()["type"].endswith("/problems/forbidden")
    assert sent == []
    stored = await db.scalar(
        sa.select(outbox_dead_letter.c.replayed_at).where(outbox_dead_letter.c.event_id == event_id)
    )
    assert stored is None


async def test_the_dead_letter_metrics_are_on_the_metrics_page(client: httpx.AsyncClient) -> None:
    from prm_kit.relay import DEAD_LETTERED, PARKED

    DEAD_LETTERED.labels("http://metrics-check").inc(0)
    PARKED.labels("http://metrics-check").set(0)

    page = (await client.get("/metrics")).text

    assert 'prm_outbox_events_dead_lettered_total{subscriber="http://metrics-check"} 0.0' in page
    assert 'prm_outbox_events_parked{subscriber="http://metrics-check"} 0.0' in page

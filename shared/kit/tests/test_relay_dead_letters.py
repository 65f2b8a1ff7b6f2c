"""One event a subscriber refuses for good is parked as a dead letter, so the events after it flow; failures
that are not about the event keep the order and park nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prm_kit.db.engine import make_session_factory
from prm_kit.outbox import add_event, outbox_dead_letter, outbox_event
from prm_kit.relay import OutboxRelay, requests_per_round
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

REFUSING = "http://refusing-subscriber"
HEALTHY = "http://healthy-subscriber"


async def _events(factory: async_sessionmaker[AsyncSession], *numbers: int) -> None:
    for n in numbers:  # one transaction each: they happen one after the other
        async with factory() as session, session.begin():
            await add_event(session, type="thing.changed", source="kittest", data={"n": n})


async def _retry_now(outbox_engine: AsyncEngine) -> None:
    """The time of every retry comes (the relay's backoff is seconds long)."""
    async with outbox_engine.begin() as connection:
        await connection.execute(
            sa.update(outbox_event)
            .where(outbox_event.c.delivered_at.is_(None))
            .values(next_attempt_at=datetime.now(UTC))
        )


async def _rows(outbox_engine: AsyncEngine, table: sa.Table) -> list[Any]:
    async with outbox_engine.connect() as connection:
        return list((await connection.execute(sa.select(table))).all())


def _subscriber(
    answer: Callable[[str, list[int]], int], sent: list[tuple[str, list[int]]], taken: dict[str, list[int]]
) -> httpx.MockTransport:
    """A network of subscribers: `answer(base_url, numbers)` is the status each batch gets; every batch is
    logged in `sent` and the numbers of the accepted ones in `taken`."""

    def handle(request: httpx.Request) -> httpx.Response:
        base = f"{request.url.scheme}://{request.url.host}"
        numbers = [event["data"]["n"] for event in json.loads(request.content)["events"]]
        sent.append((base, numbers))
        status = answer(base, numbers)
        if status == 200:
            taken.setdefault(base, []).extend(numbers)
            return httpx.Response(200, json={"accepted": len(numbers), "duplicates": 0})
        return httpx.Response(
            status,
            json={
                "type": "/problems/x",
                "title": "Refused",
                "status": status,
                "detail": f"no n=1 ({status})",
            },
            headers={"content-type": "application/problem+json"},
        )

    return httpx.MockTransport(handle)


def _dead_lettered(subscriber: str) -> float:
    return (
        REGISTRY.get_sample_value("prm_outbox_events_dead_lettered_total", {"subscriber": subscriber}) or 0.0
    )


@pytest.mark.asyncio
async def test_a_refused_event_is_parked_after_n_refusals_and_the_later_ones_flow_in_order(
    outbox_engine: AsyncEngine,
) -> None:
    factory = make_session_factory(outbox_engine)
    await _events(factory, 0, 1, 2)
    sent: list[tuple[str, list[int]]] = []
    taken: dict[str, list[int]] = {}
    transport = _subscriber(lambda _base, numbers: 422 if 1 in numbers else 200, sent, taken)
    counted_before = _dead_lettered(REFUSING)

    async with httpx.AsyncClient(transport=transport) as http:
        relay = OutboxRelay(factory, http, [REFUSING], park_after=3)
        # round 1: the batch is refused; its first half (0) is taken, the rest refused, 1 alone refused: 1st
        assert await relay.deliver_once() == 1
        assert await relay.deliver_once() == 0  # 1 waits for its retry, and 2 behind it
        await _retry_now(outbox_engine)
        assert await relay.deliver_once() == 0  # round 2: 1 alone (the suspect), refused: 2nd
        await _retry_now(outbox_engine)
        assert await relay.deliver_once() == 2  # round 3: refused a 3rd time, parked; 2 flows
        assert await relay.deliver_once() == 0  # nothing left, nothing sent again
        parked_gauge = await relay.measure_parked()

    assert sent == [
        (REFUSING, [0, 1, 2]),
        (REFUSING, [0]),
        (REFUSING, [1, 2]),
        (REFUSING, [1]),
        (REFUSING, [1]),
        (REFUSING, [1]),
        (REFUSING, [2]),
    ]
    assert taken == {REFUSING: [0, 2]}
    (letter,) = await _rows(outbox_engine, outbox_dead_letter)
    assert (letter.subscriber, letter.status_code, letter.attempts) == (REFUSING, 422, 3)
    assert letter.detail == "no n=1 (422)"
    assert letter.parked_at is not None
    assert letter.replayed_at is None
    events = {row.payload["data"]["n"]: row for row in await _rows(outbox_engine, outbox_event)}
    assert letter.event_id == events[1].id
    assert all(row.delivered_at is not None for row in events.values())
    assert _dead_lettered(REFUSING) == counted_before + 1
    assert parked_gauge == {REFUSING: 1}
    assert REGISTRY.get_sample_value("prm_outbox_events_parked", {"subscriber": REFUSING}) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [500, 503, 408, 409, 429, 401, 403, 404, 405])
async def test_failures_that_are_not_about_the_event_keep_the_order_and_park_nothing(
    outbox_engine: AsyncEngine, status: int
) -> None:
    factory = make_session_factory(outbox_engine)
    await _events(factory, 0, 1)
    answers = iter([status, status, status, 200])
    sent: list[tuple[str, list[int]]] = []
    taken: dict[str, list[int]] = {}
    transport = _subscriber(lambda _base, _numbers: next(answers), sent, taken)

    async with httpx.AsyncClient(transport=transport) as http:
        relay = OutboxRelay(factory, http, [REFUSING], park_after=1)
        for _ in range(3):
            assert await relay.deliver_once() == 0
            await _retry_now(outbox_engine)
        assert await relay.deliver_once() == 2

    # no narrowing: each round sent the whole batch once, in order
    assert sent == [(REFUSING, [0, 1])] * 4
    assert taken == {REFUSING: [0, 1]}
    assert await _rows(outbox_engine, outbox_dead_letter) == []
    head = min(await _rows(outbox_engine, outbox_event), key=lambda row: row.payload["data"]["n"])
    assert head.attempts == 3


@pytest.mark.asyncio
async def test_a_network_error_is_retried_like_a_5xx(outbox_engine: AsyncEngine) -> None:
    factory = make_session_factory(outbox_engine)
    await _events(factory, 0)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(unreachable)) as http:
        relay = OutboxRelay(factory, http, [REFUSING], park_after=1)
        assert await relay.deliver_once() == 0

    assert await _rows(outbox_engine, outbox_dead_letter) == []
    (event,) = await _rows(outbox_engine, outbox_event)
    assert event.last_error == f"{REFUSING}: ConnectError"


@pytest.mark.asyncio
async def test_an_integer_past_64_bits_in_a_payload_is_delivered_and_holds_nothing_back(
    outbox_engine: AsyncEngine,
) -> None:
    factory = make_session_factory(outbox_engine)
    await _events(factory, 2**70, 1)  # JSON allows any integer; a registry custom attribute may hold one
    sent: list[tuple[str, list[int]]] = []
    taken: dict[str, list[int]] = {}

    async with httpx.AsyncClient(transport=_subscriber(lambda _base, _numbers: 200, sent, taken)) as http:
        relay = OutboxRelay(factory, http, [HEALTHY], park_after=1)
        assert await relay.deliver_once() == 2

    assert taken == {HEALTHY: [2**70, 1]}


@pytest.mark.asyncio
async def test_two_subscribers_one_refusing_an_event_the_other_gets_every_event_once(
    outbox_engine: AsyncEngine,
) -> None:
    factory = make_session_factory(outbox_engine)
    await _events(factory, 0, 1, 2)
    sent: list[tuple[str, list[int]]] = []
    taken: dict[str, list[int]] = {}

    def answer(base: str, numbers: list[int]) -> int:
        return 400 if base == REFUSING and 1 in numbers else 200

    async with httpx.AsyncClient(transport=_subscriber(answer, sent, taken)) as http:
        relay = OutboxRelay(factory, http, [REFUSING, HEALTHY], park_after=2)
        assert await relay.deliver_once() == 1  # 0 taken by both; 1 refused by the first (1st time)
        await _retry_now(outbox_engine)
        assert await relay.deliver_once() == 2  # 1 parked for the first, sent on to the second with 2
        await _retry_now(outbox_engine)
        assert await relay.deliver_once() == 0

    assert taken == {REFUSING: [0, 2], HEALTHY: [0, 1, 2]}
    (letter,) = await _rows(outbox_engine, outbox_dead_letter)
    assert (letter.subscriber, letter.attempts) == (REFUSING, 2)
    assert all(row.delivered_at is not None for row in await _rows(outbox_engine, outbox_event))


@pytest.mark.asyncio
async def test_a_batch_refused_whole_but_taken_in_parts_parks_nothing(outbox_engine: AsyncEngine) -> None:
    """A refusal of the batch (say, too large) that no event earns alone: narrowing delivers it all."""
    factory = make_session_factory(outbox_engine)
    await _events(factory, 0, 1, 2, 3)
    sent: list[tuple[str, list[int]]] = []
    taken: dict[str, list[int]] = {}
    transport = _subscriber(lambda _base, numbers: 413 if len(numbers) > 2 else 200, sent, taken)

    async with httpx.AsyncClient(transport=transport) as http:
        assert await OutboxRelay(factory, http, [REFUSING], park_after=1).deliver_once() == 4

    assert sent == [(REFUSING, [0, 1, 2, 3]), (REFUSING, [0, 1]), (REFUSING, [2, 3])]
    assert taken == {REFUSING: [0, 1, 2, 3]}
    assert await _rows(outbox_engine, outbox_dead_letter) == []


def test_narrowing_a_batch_takes_a_logarithmic_number_of_requests() -> None:
    # 200 events: the batch, then per halving (200 → 100 → … → 1, 8 times) a half and a retry of the rest
    assert requests_per_round(200) == 1 + 2 * 8
    assert requests_per_round(1) == 1

"""The outbox relay delivers events at least once, and the inbox applies each event once."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from fastapi import APIRouter
from prm_contracts.events import EventEnvelope
from prm_kit.app import create_service_app
from prm_kit.db.engine import make_engine, make_session_factory
from prm_kit.db.session import SessionDep
from prm_kit.inbox import events_router
from prm_kit.internal_auth import INTERNAL_HEADER, PrincipalVerifier
from prm_kit.outbox import add_event, outbox_event
from prm_kit.relay import OutboxRelay
from prm_kit.settings import BaseServiceSettings, CommaSeparated, event_subscribers_field
from prm_kit.testing import TEST_SECRET, internal_headers, rolled_back_app
from prometheus_client import REGISTRY
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from .kit_service import MIGRATIONS_DIR


class OutboxSettings(BaseServiceSettings):
    service_name = "outboxtest"


@pytest.fixture
def database_url(migrated_database: Any) -> str:
    url: str = migrated_database("outboxtest", MIGRATIONS_DIR)
    return url


async def _clear(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(sa.delete(outbox_event))
    await engine.dispose()


@pytest.mark.asyncio
async def test_relay_delivers_pending_events_once_and_marks_them(database_url: str) -> None:
    await _clear(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    async with factory() as session, session.begin():
        first = await add_event(session, type="partner.created", source="partner-registry", data={"n": 1})
        second = await add_event(session, type="partner.updated", source="partner-registry", data={"n": 2})
    received: list[dict[str, Any]] = []

    def subscriber(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/internal/events"
        received.append(json.loads(request.content))
        return httpx.Response(200, json={"accepted": 2, "duplicates": 0})

    async with httpx.AsyncClient(transport=httpx.MockTransport(subscriber)) as http:
        relay = OutboxRelay(factory, http, ["http://incentives"])
        assert await relay.deliver_once() == 2
        assert await relay.deliver_once() == 0  # nothing pending any more

    assert len(received) == 1
    ids = [UUID(event["id"]) for event in received[0]["events"]]
    assert set(ids) == {first, second}
    envelope = EventEnvelope[dict[str, Any]].model_validate(received[0]["events"][0])
    assert envelope.source == "partner-registry"
    async with engine.connect() as connection:
        pending = await connection.scalar(
            sa.select(sa.func.count()).select_from(outbox_event).where(outbox_event.c.delivered_at.is_(None))
        )
    assert pending == 0
    await engine.dispose()


@pytest.mark.asyncio
async def test_relay_backs_off_when_a_subscriber_fails(database_url: str) -> None:
    await _clear(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    async with factory() as session, session.begin():
        await add_event(session, type="partner.created", source="partner-registry", data={})
    calls = 0

    def failing(_request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503)

    async with httpx.AsyncClient(transport=httpx.MockTransport(failing)) as http:
        relay = OutboxRelay(factory, http, ["http://incentives"])
        assert await relay.deliver_once() == 0
        # the retry is scheduled in the future, so an immediate second pass sends nothing
        assert await relay.deliver_once() == 0
    assert calls == 1
    async with engine.connect() as connection:
        row = (await connection.execute(sa.select(outbox_event))).one()
    assert row.delivered_at is None
    assert row.attempts == 1
    assert row.next_attempt_at > datetime.now(UTC)
    assert row.last_error == "http://incentives: HTTP 503"
    await engine.dispose()


@pytest.mark.asyncio
async def test_inbox_applies_a_redelivered_event_once(database_url: str, tmp_path: Any) -> None:
    applied: list[str] = []

    async def handle(_session: AsyncSession, event: EventEnvelope[dict[str, Any]]) -> None:
        applied.append(event.type)

    settings = OutboxSettings(internal_secret=TEST_SECRET, database_url=database_url, data_dir=tmp_path)
    app = create_service_app(
        settings, title="t", description="t", routers=[events_router(handle)], migrations_dir=MIGRATIONS_DIR
    )
    event = {
        "id": "6f1c1d1e-1111-4a4a-8b8b-000000000001",
        "type": "partner.tier_changed",
        "occurred_at": "2026-11-27T10:00:00Z",
        "source": "partner-registry",
        "data": {"tier": "gold"},
    }
    async with rolled_back_app(app, database_url) as (client, _session):
        first = await client.post("/internal/events", json={"events": [event]})
        again = await client.post("/internal/events", json={"events": [event]})
    assert first.status_code == 200
    assert first.json() == {"accepted": 1, "duplicates": 0}
    assert again.json() == {"accepted": 0, "duplicates": 1}
    assert applied == ["partner.tier_changed"]


async def _pending_count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            sa.select(sa.func.count()).select_from(outbox_event).where(outbox_event.c.delivered_at.is_(None))
        )
    return int(count or 0)


@pytest.mark.asyncio
async def test_a_batch_being_sent_is_leased_so_a_second_relay_does_not_send_it_too(database_url: str) -> None:
    await _clear(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    async with factory() as session, session.begin():
        await add_event(session, type="partner.created", source="partner-registry", data={})
    second_relay_delivered: list[int] = []

    async def slow_subscriber(_request: httpx.Request) -> httpx.Response:
        # while the first relay waits for this answer, another replica looks for work
        second_relay_delivered.append(await other.deliver_once())
        return httpx.Response(200, json={"accepted": 1, "duplicates": 0})

    async with httpx.AsyncClient(transport=httpx.MockTransport(slow_subscriber)) as http:
        relay = OutboxRelay(factory, http, ["http://incentives"])
        other = OutboxRelay(factory, http, ["http://incentives"])
        assert await relay.deliver_once() == 1
    assert second_relay_delivered == [0]
    assert await _pending_count(engine) == 0
    await engine.dispose()


@pytest.mark.asyncio
async def test_a_batch_whose_relay_died_is_sent_again_when_its_lease_runs_out(database_url: str) -> None:
    await _clear(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    async with factory() as session, session.begin():
        await add_event(session, type="partner.created", source="partner-registry", data={})
    sent: list[httpx.Request] = []

    async def dies_mid_send(_request: httpx.Request) -> httpx.Response:
        raise asyncio.CancelledError  # the process is stopped while the subscriber answers

    def accepts(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"accepted": 1, "duplicates": 0})

    async with httpx.AsyncClient(transport=httpx.MockTransport(dies_mid_send)) as http:
        with pytest.raises(asyncio.CancelledError):
            # a lease long enough to outlast the successor's first look on a loaded machine (0.2 s did not)
            await OutboxRelay(factory, http, ["http://incentives"], lease_seconds=3.0).deliver_once()
    async with httpx.AsyncClient(transport=httpx.MockTransport(accepts)) as http:
        successor = OutboxRelay(factory, http, ["http://incentives"])
        assert await successor.deliver_once() == 0  # still leased to the dead relay
        await asyncio.sleep(3.1)
        assert await successor.deliver_once() == 1
    assert len(sent) == 1
    await engine.dispose()


@pytest.mark.asyncio
async def test_a_batch_keeps_the_order_events_happened_in(database_url: str) -> None:
    await _clear(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    for n in range(5):
        async with factory() as session, session.begin():
            await add_event(session, type="partner.updated", source="partner-registry", data={"n": n})
    received: list[int] = []

    def subscriber(request: httpx.Request) -> httpx.Response:
        received.extend(event["data"]["n"] for event in json.loads(request.content)["events"])
        return httpx.Response(200, json={"accepted": 5, "duplicates": 0})

    async with httpx.AsyncClient(transport=httpx.MockTransport(subscriber)) as http:
        assert await OutboxRelay(factory, http, ["http://incentives"]).deliver_once() == 5
    assert received == [0, 1, 2, 3, 4]
    await engine.dispose()


def _writes_an_event() -> APIRouter:
    router = APIRouter()

    @router.post("/things", status_code=201)
    async def create_thing(session: SessionDep) -> dict[str, str]:
        event_id = await add_event(session, type="thing.created", source="outboxtest", data={"thing": 1})
        return {"event": str(event_id)}

    return router


@pytest.mark.asyncio
async def test_the_app_relays_its_outbox_to_the_configured_subscribers(
    database_url: str, tmp_path: Any
) -> None:
    await _clear(database_url)
    received: list[httpx.Request] = []
    delivered = asyncio.Event()

    def subscriber(request: httpx.Request) -> httpx.Response:
        received.append(request)
        if len(received) == 2:
            delivered.set()
        return httpx.Response(200, json={"accepted": 1, "duplicates": 0})

    settings = OutboxSettings(
        internal_secret=TEST_SECRET,
        database_url=database_url,
        data_dir=tmp_path,
        event_subscribers="http://incentives:8003/, http://analytics:8004",
        outbox_poll_seconds=0.05,
    )
    app = create_service_app(
        settings, title="t", description="t", routers=[_writes_an_event()], migrations_dir=MIGRATIONS_DIR
    )
    app.state.events_transport = httpx.MockTransport(subscriber)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        created = await client.post("/things", headers=internal_headers())
        assert created.status_code == 201
        await asyncio.wait_for(delivered.wait(), timeout=10)

    assert [str(request.url) for request in received] == [
        "http://incentives:8003/internal/events",
        "http://analytics:8004/internal/events",
    ]
    for request in received:
        assert json.loads(request.content)["events"][0]["id"] == created.json()["event"]
        # subscribers only take events from a signed internal caller
        principal = PrincipalVerifier(TEST_SECRET).verify(request.headers[INTERNAL_HEADER])
        assert principal.subject == "service:outboxtest"


def test_subscribers_come_comma_separated_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    class RegistryLike(BaseServiceSettings):
        service_name = "registry"
        event_subscribers: CommaSeparated = event_subscribers_field("REGISTRY")

    monkeypatch.setenv("PRM_INTERNAL_SECRET", TEST_SECRET)
    monkeypatch.setenv("PRM_REGISTRY_EVENT_SUBSCRIBERS", " http://a:1/ ,http://b:2,")
    assert RegistryLike().event_subscribers == ["http://a:1", "http://b:2"]
    monkeypatch.setenv("PRM_REGISTRY_EVENT_SUBSCRIBERS", "a:1")
    with pytest.raises(ValidationError, match="must be an http"):
        RegistryLike()


@pytest.mark.asyncio
async def test_an_event_waiting_for_a_retry_holds_back_the_later_ones(database_url: str) -> None:
    await _clear(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    async with factory() as session, session.begin():
        await add_event(
            session, type="partner.tier_changed", source="partner-registry", data={"to": "silver"}
        )
    answers = iter([503, 200])
    received: list[str] = []

    def subscriber(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status == 200:
            received.extend(event["data"]["to"] for event in json.loads(request.content)["events"])
        return httpx.Response(status, json={})

    async with httpx.AsyncClient(transport=httpx.MockTransport(subscriber)) as http:
        relay = OutboxRelay(factory, http, ["http://incentives"])
        assert await relay.deliver_once() == 0  # refused: silver waits for its retry
        async with factory() as session, session.begin():
            await add_event(
                session, type="partner.tier_changed", source="partner-registry", data={"to": "gold"}
            )
        assert await relay.deliver_once() == 0  # gold is due, but comes after silver
        async with engine.begin() as connection:  # silver's retry time comes
            await connection.execute(sa.update(outbox_event).values(next_attempt_at=datetime.now(UTC)))
        assert await relay.deliver_once() == 2

    assert received == ["silver", "gold"]
    await engine.dispose()


@pytest.mark.asyncio
async def test_the_backlog_counts_undelivered_events_and_the_age_of_the_oldest(database_url: str) -> None:
    await _clear(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    async with factory() as session, session.begin():
        await add_event(session, type="partner.created", source="partner-registry", data={})
        await add_event(session, type="partner.updated", source="partner-registry", data={})
    async with engine.begin() as connection:  # the first happened ten minutes ago
        first = (
            await connection.execute(sa.select(outbox_event.c.id).order_by(outbox_event.c.occurred_at))
        ).first()
        assert first is not None
        await connection.execute(
            sa.update(outbox_event)
            .where(outbox_event.c.id == first.id)
            .values(occurred_at=datetime.now(UTC) - timedelta(minutes=10))
        )

    def accepts(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    async with httpx.AsyncClient(transport=httpx.MockTransport(accepts)) as http:
        relay = OutboxRelay(factory, http, ["http://incentives"])
        waiting, age = await relay.measure_backlog()
        assert waiting == 2
        assert 600 <= age < 660
        assert REGISTRY.get_sample_value("prm_outbox_events_waiting") == 2
        await relay.deliver_once()
        assert await relay.measure_backlog() == (0, 0.0)
    assert REGISTRY.get_sample_value("prm_outbox_oldest_waiting_seconds") == 0.0
    await engine.dispose()

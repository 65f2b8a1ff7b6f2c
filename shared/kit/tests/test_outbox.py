"""The outbox relay delivers events at least once, and the inbox applies each event once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from prm_contracts.events import EventEnvelope
from prm_kit.app import create_service_app
from prm_kit.db.engine import make_engine, make_session_factory
from prm_kit.inbox import events_router
from prm_kit.outbox import OutboxRelay, add_event, outbox_event
from prm_kit.settings import BaseServiceSettings
from prm_kit.testing import TEST_SECRET, rolled_back_app
from scoring.main import MIGRATIONS_DIR
from sqlalchemy.ext.asyncio import AsyncSession


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

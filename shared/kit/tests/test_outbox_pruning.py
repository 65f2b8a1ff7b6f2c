"""Delivered outbox events are deleted once kept long enough; undelivered ones, recent ones and those a dead
letter names stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from prm_kit.db.engine import make_session_factory
from prm_kit.db.ids import ordered_id
from prm_kit.outbox import add_event, outbox_dead_letter, outbox_event
from prm_kit.relay import OutboxRelay
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = pytest.mark.asyncio

NOW = datetime.now(UTC)


async def _event(
    outbox_engine: AsyncEngine, *, delivered: timedelta | None, dead_letter: bool = False
) -> UUID:
    """An event delivered `delivered` ago (None: not delivered), with a parked dead letter when asked."""
    async with make_session_factory(outbox_engine)() as session, session.begin():
        event_id = await add_event(session, type="partner.updated", source="kittest", data={"n": 1})
        if delivered is not None:
            await session.execute(
                sa.update(outbox_event)
                .where(outbox_event.c.id == event_id)
                .values(delivered_at=NOW - delivered, occurred_at=NOW - delivered - timedelta(minutes=1))
            )
        if dead_letter:
            await session.execute(
                sa.insert(outbox_dead_letter).values(
                    id=ordered_id(),
                    event_id=event_id,
                    subscriber="http://refusing",
                    status_code=422,
                    detail="refused",
                    attempts=5,
                    last_refused_at=NOW - timedelta(days=30),
                    parked_at=NOW - timedelta(days=30),
                    replayed_at=None,
                )
            )
    return event_id


async def _stored(outbox_engine: AsyncEngine) -> set[UUID]:
    async with outbox_engine.connect() as connection:
        return set((await connection.scalars(sa.select(outbox_event.c.id))).all())


def _relay(outbox_engine: AsyncEngine, http: httpx.AsyncClient, keep: timedelta | None) -> OutboxRelay:
    return OutboxRelay(make_session_factory(outbox_engine), http, ["http://subscriber"], keep_delivered=keep)


async def test_events_delivered_before_the_keeping_time_are_deleted_in_batches(
    outbox_engine: AsyncEngine,
) -> None:
    old = [await _event(outbox_engine, delivered=timedelta(days=8)) for _ in range(5)]
    recent = await _event(outbox_engine, delivered=timedelta(days=6))
    waiting = await _event(outbox_engine, delivered=None)
    parked = await _event(outbox_engine, delivered=timedelta(days=30), dead_letter=True)
    before = REGISTRY.get_sample_value("prm_outbox_events_pruned_total") or 0.0

    async with httpx.AsyncClient() as http:
        deleted = await _relay(outbox_engine, http, timedelta(days=7)).prune_delivered(batch=2)  # 2 + 2 + 1

    assert deleted == len(old)
    assert await _stored(outbox_engine) == {recent, waiting, parked}
    assert REGISTRY.get_sample_value("prm_outbox_events_pruned_total") == before + len(old)


async def test_without_a_keeping_time_nothing_is_deleted(outbox_engine: AsyncEngine) -> None:
    old = await _event(outbox_engine, delivered=timedelta(days=3_000))

    async with httpx.AsyncClient() as http:
        assert await _relay(outbox_engine, http, None).prune_delivered() == 0

    assert await _stored(outbox_engine) == {old}

"""Stored Idempotency-Key answers and seen event ids are deleted once past their time; recent ones stay, and
a service's app purges them on its own while it runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
import pytest_asyncio
import sqlalchemy as sa
from fastapi import FastAPI
from prm_kit import housekeeping
from prm_kit.db.engine import make_engine, make_session_factory
from prm_kit.db.ids import ordered_id
from prm_kit.housekeeping import INBOX_RETENTION, KeptFor, housekeeping_while_running, purge_expired
from prm_kit.idempotency import DEFAULT_RETENTION, idempotency_record
from prm_kit.outbox import inbox_event, outbox_event
from sqlalchemy.ext.asyncio import AsyncEngine

from .conftest import MIGRATIONS_DIR

pytestmark = pytest.mark.asyncio

NOW = datetime.now(UTC)
SECOND = timedelta(seconds=1)


@pytest_asyncio.fixture
async def engine(migrated_database: Any) -> AsyncIterator[AsyncEngine]:
    """A database of its own: the purge commits in sessions of its own."""
    engine = make_engine(migrated_database("housekeeping", MIGRATIONS_DIR))
    async with engine.begin() as connection:
        await connection.execute(sa.delete(idempotency_record))
        await connection.execute(sa.delete(inbox_event))
    yield engine
    await engine.dispose()


async def _store(engine: AsyncEngine, *, answer_ages: list[timedelta], event_ages: list[timedelta]) -> None:
    async with engine.begin() as connection:
        for n, age in enumerate(answer_ages):
            await connection.execute(
                sa.insert(idempotency_record).values(
                    subject="key:k",
                    operation="create_thing",
                    key=f"key-{n}",
                    request_fingerprint="f" * 64,
                    status_code=201,
                    response_headers={},
                    response_body="{}",
                    created_at=NOW - age,
                )
            )
        for age in event_ages:
            await connection.execute(
                sa.insert(inbox_event).values(id=ordered_id(), type="partner.updated", received_at=NOW - age)
            )


async def _kept(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as connection:
        answers = await connection.scalar(sa.select(sa.func.count()).select_from(idempotency_record))
        events = await connection.scalar(sa.select(sa.func.count()).select_from(inbox_event))
    return int(answers or 0), int(events or 0)


async def test_what_is_past_its_time_is_deleted_and_the_rest_kept(engine: AsyncEngine) -> None:
    await _store(
        engine,
        answer_ages=[
            DEFAULT_RETENTION + SECOND,
            DEFAULT_RETENTION + timedelta(days=90),
            DEFAULT_RETENTION - SECOND,
        ],
        event_ages=[INBOX_RETENTION + SECOND, timedelta(days=1), timedelta(0)],
    )

    deleted = await purge_expired(make_session_factory(engine), now=NOW)
    again = await purge_expired(make_session_factory(engine), now=NOW)

    assert deleted == {"idempotency_record": 2, "inbox_event": 1}
    assert again == {"idempotency_record": 0, "inbox_event": 0}
    assert await _kept(engine) == (1, 2)


async def test_a_services_own_table_is_purged_after_its_own_period(engine: AsyncEngine) -> None:
    # the outbox stands in for a service's table, its rows kept an hour after `occurred_at`
    ages = [timedelta(hours=2), timedelta(hours=1) + SECOND, timedelta(minutes=59)]
    async with engine.begin() as connection:
        await connection.execute(sa.delete(outbox_event))
        for age in ages:
            at = NOW - age
            await connection.execute(
                sa.insert(outbox_event).values(
                    id=ordered_id(), type="thing.done", occurred_at=at, payload={}, next_attempt_at=at
                )
            )
    hour = KeptFor(outbox_event, "occurred_at", timedelta(hours=1))

    deleted = await purge_expired(make_session_factory(engine), now=NOW, kept_for=[hour])

    async with engine.connect() as connection:
        left = await connection.scalars(sa.select(outbox_event.c.occurred_at))
        kept = [NOW - at for at in left.all()]
    assert deleted == {"outbox_event": 2, "idempotency_record": 0, "inbox_event": 0}
    assert kept == [timedelta(minutes=59)]


async def test_more_than_a_batch_is_deleted_in_batches(engine: AsyncEngine) -> None:
    await _store(engine, answer_ages=[], event_ages=[INBOX_RETENTION + SECOND] * 25)

    with patch.object(housekeeping, "BATCH", 10):
        deleted = await purge_expired(make_session_factory(engine), now=NOW)

    assert deleted["inbox_event"] == 25
    assert await _kept(engine) == (0, 0)


async def test_a_running_app_purges_on_its_own(engine: AsyncEngine) -> None:
    await _store(engine, answer_ages=[DEFAULT_RETENTION + SECOND], event_ages=[INBOX_RETENTION + SECOND])
    app = FastAPI()
    app.state.session_factory = make_session_factory(engine)

    async with housekeeping_while_running(app, every_seconds=0.05):
        for _ in range(100):
            if await _kept(engine) == (0, 0):
                break
            await asyncio.sleep(0.05)

    assert await _kept(engine) == (0, 0)

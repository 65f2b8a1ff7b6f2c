"""Rows a service keeps only for a while, deleted once they are past it by a task that runs for the app's
lifetime, so that these tables hold days of rows, not years:

- the stored answers of `Idempotency-Key`s, after `prm_kit.idempotency.DEFAULT_RETENTION` (24 hours): a key
  repeated later is already judged afresh, so the row only takes room (a whole answer each);
- the event ids the inbox has seen, after `INBOX_RETENTION`: a publisher sends an event again only until it
  is delivered (minutes, while its relay retries) and deletes it a week after
  (`PRM_OUTBOX_KEEP_DELIVERED_HOURS`), so an id older than a month cannot come again. A dead letter replayed
  later was refused, so it has no id here to be judged by;
- whatever a service adds (`KeptFor`, given to `create_service_app(kept_for=...)`), such as analytics' webhook
  receipts.

Deleted `BATCH` rows at a time, each batch its own short transaction beside the writers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import structlog
from fastapi import FastAPI
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from prm_kit.background import while_running
from prm_kit.clock import utc_now
from prm_kit.idempotency import DEFAULT_RETENTION, idempotency_record
from prm_kit.outbox import inbox_event

INBOX_RETENTION = timedelta(days=30)
PURGE_EVERY_SECONDS = 600.0
BATCH = 1_000

DELETED = Counter(
    "prm_housekeeping_deleted_total", "Rows deleted once kept long enough, by table.", ["table"]
)


@dataclass(frozen=True)
class KeptFor:
    """A service's table whose rows are deleted once `column` (a timestamp) is older than `period`."""

    table: sa.Table
    column: str
    period: timedelta

    def expired(self, now: datetime) -> sa.Select[tuple[object, ...]]:
        return sa.select(*self.table.primary_key.columns).where(self.table.c[self.column] < now - self.period)


async def _delete_in_batches(
    session_factory: async_sessionmaker[AsyncSession], table: sa.Table, expired: sa.Select[tuple[object, ...]]
) -> int:
    """Reads a batch of expired keys, then deletes them: a round with nothing to delete only reads (on SQLite,
    no write lock taken beside the requests)."""
    key_columns = sa.tuple_(*table.primary_key.columns)
    deleted = 0
    while True:
        async with session_factory() as session, session.begin():
            keys = [tuple(row) for row in (await session.execute(expired.limit(BATCH))).all()]
            if keys:
                await session.execute(sa.delete(table).where(key_columns.in_(keys)))
        deleted += len(keys)
        DELETED.labels(table.name).inc(len(keys))
        if len(keys) < BATCH:
            return deleted


async def purge_expired(
    session_factory: async_sessionmaker[AsyncSession], *, now: datetime, kept_for: Sequence[KeptFor] = ()
) -> dict[str, int]:
    """Deletes what is past its time; how many rows of each table."""
    answers = idempotency_record.c
    seen = inbox_event.c
    services_own = {
        kept.table.name: await _delete_in_batches(session_factory, kept.table, kept.expired(now))
        for kept in kept_for
    }
    return {
        **services_own,
        "idempotency_record": await _delete_in_batches(
            session_factory,
            idempotency_record,
            sa.select(answers.subject, answers.operation, answers.key).where(
                answers.created_at < now - DEFAULT_RETENTION
            ),
        ),
        "inbox_event": await _delete_in_batches(
            session_factory, inbox_event, sa.select(seen.id).where(seen.received_at < now - INBOX_RETENTION)
        ),
    }


async def _purge_forever(
    session_factory: async_sessionmaker[AsyncSession], every_seconds: float, kept_for: Sequence[KeptFor]
) -> None:
    log = structlog.get_logger("housekeeping")
    while True:
        # first a wait: nothing expires during start-up, and the first requests meet no transaction of ours
        await asyncio.sleep(every_seconds)
        try:
            deleted = await purge_expired(session_factory, now=utc_now(), kept_for=kept_for)
            if any(deleted.values()):
                log.info("expired_rows_deleted", **deleted)
        except Exception as exc:  # a database away for a while: the next round tries again
            log.warning("housekeeping_failed", error=type(exc).__name__)


@contextlib.asynccontextmanager
async def housekeeping_while_running(
    app: FastAPI, *, every_seconds: float = PURGE_EVERY_SECONDS, kept_for: Sequence[KeptFor] = ()
) -> AsyncIterator[None]:
    """Purges expired rows of the app's database (`app.state.session_factory`) every `every_seconds`, the
    first time `every_seconds` after start-up."""
    purging = _purge_forever(app.state.session_factory, every_seconds, kept_for)
    async with while_running(purging, name="housekeeping"):
        yield

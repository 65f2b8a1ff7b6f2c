"""The outbox relay: delivers each service's outbox events to its subscribers, in order, at least once."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
import structlog
from fastapi import FastAPI
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from prm_kit.clock import utc_now
from prm_kit.http_clients import service_http_client
from prm_kit.outbox import outbox_event
from prm_kit.settings import BaseServiceSettings

DELIVERED = Counter("prm_outbox_events_delivered_total", "Outbox events every subscriber accepted.")
BACKLOG = Gauge("prm_outbox_events_waiting", "Outbox events not yet delivered to every subscriber.")
OLDEST_WAITING = Gauge("prm_outbox_oldest_waiting_seconds", "Age of the oldest undelivered outbox event.")
FAILED_BATCHES = Counter(
    "prm_outbox_failed_batches_total", "Outbox batches a subscriber refused or did not answer; retried later."
)


def retry_delay(attempts: int, *, max_seconds: float = 300.0) -> timedelta:
    """Exponential backoff with full jitter: a subscriber that is down is not hammered in lock-step."""
    ceiling = min(max_seconds, 2.0 ** min(attempts, 16))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


class OutboxRelay:
    """Delivers pending outbox events in batches to each subscriber's `POST /internal/events`.

    At least once: an event is marked delivered only when every subscriber accepted the batch;
    otherwise the whole batch is retried later with backoff and consumers de-duplicate by event id.
    Events go out in the order they happened; one that waits for a retry holds back the ones after it.
    A batch is claimed by leasing it (its next attempt moved `lease_seconds` ahead) in a short transaction,
    so no lock is held while subscribers answer; a relay that dies mid-send leaves the batch to be sent
    again when the lease runs out. Several replicas may run a relay: the claim locks the head rows, so one
    sends while the others find its batch leased.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        subscribers: Sequence[str],
        *,
        batch_size: int = 200,
        poll_seconds: float = 0.5,
        lease_seconds: float = 120.0,
    ) -> None:
        self._session_factory = session_factory
        self._http = http
        self._subscribers = list(subscribers)
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._lease = timedelta(seconds=lease_seconds)

    async def deliver_once(self) -> int:
        """Send one batch; returns how many events were delivered."""
        claimed = await self._claim_batch()
        if not claimed:
            return 0
        error = await self._send({"events": [row.payload for row in claimed]})
        now = utc_now()
        async with self._session_factory() as session, session.begin():
            if error is None:
                await session.execute(
                    sa.update(outbox_event)
                    .where(outbox_event.c.id.in_([row.id for row in claimed]))
                    .values(delivered_at=now, last_error=None)
                )
                DELIVERED.inc(len(claimed))
                return len(claimed)
            # the head of the batch holds back the rest, so its backoff is the batch's
            await session.execute(
                sa.update(outbox_event)
                .where(outbox_event.c.id.in_([row.id for row in claimed]))
                .values(
                    attempts=outbox_event.c.attempts + 1,
                    next_attempt_at=now + retry_delay(claimed[0].attempts + 1),
                    last_error=error[:500],
                )
            )
        FAILED_BATCHES.inc()
        structlog.get_logger("outbox").warning("outbox_delivery_failed", events=len(claimed), error=error)
        return 0

    async def _claim_batch(self) -> list[Any]:
        """The oldest undelivered events, in the order they happened, as far as they are due.

        Order is kept per service: while the oldest event waits for a retry (or is leased to another
        replica), nothing after it is sent, so a subscriber never sees a later change before an earlier one.
        """
        now = utc_now()
        async with self._session_factory() as session, session.begin():
            oldest = (
                await session.execute(
                    sa.select(
                        outbox_event.c.id,
                        outbox_event.c.payload,
                        outbox_event.c.attempts,
                        outbox_event.c.next_attempt_at,
                    )
                    .where(outbox_event.c.delivered_at.is_(None))
                    .order_by(outbox_event.c.occurred_at, outbox_event.c.id)
                    .limit(self._batch_size)
                    # replicas claim one after the other; the second then finds the head leased
                    .with_for_update()
                )
            ).all()
            due = list(itertools.takewhile(lambda row: row.next_attempt_at <= now, oldest))
            if due:
                await session.execute(
                    sa.update(outbox_event)
                    .where(outbox_event.c.id.in_([row.id for row in due]))
                    .values(next_attempt_at=now + self._lease)
                )
        return due

    async def _send(self, batch: dict[str, Any]) -> str | None:
        for subscriber in self._subscribers:
            try:
                response = await self._http.post(f"{subscriber.rstrip('/')}/internal/events", json=batch)
            except httpx.HTTPError as exc:
                return f"{subscriber}: {type(exc).__name__}"
            if not response.is_success:
                return f"{subscriber}: HTTP {response.status_code}"
        return None

    async def measure_backlog(self) -> tuple[int, float]:
        """How many events wait for delivery and how old the oldest is (seconds), also set as gauges: a
        subscriber that is down shows as a growing backlog before anyone misses an event."""
        now = utc_now()
        async with self._session_factory() as session, session.begin():
            waiting, oldest = (
                await session.execute(
                    sa.select(sa.func.count(), sa.func.min(outbox_event.c.occurred_at)).where(
                        outbox_event.c.delivered_at.is_(None)
                    )
                )
            ).one()
        age = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
        BACKLOG.set(waiting)
        OLDEST_WAITING.set(age)
        return int(waiting), age

    async def run(self, *, backlog_every_seconds: float = 15.0) -> None:
        """Relay until cancelled; errors are logged and retried, never fatal."""
        log = structlog.get_logger("outbox")
        measured_at = 0.0
        while True:
            try:
                delivered = await self.deliver_once()
                if time.monotonic() - measured_at >= backlog_every_seconds:
                    measured_at = time.monotonic()
                    await self.measure_backlog()
            except Exception as exc:  # the relay must outlive a database hiccup
                log.warning("outbox_relay_failed", error=type(exc).__name__)
                delivered = 0
            if delivered < self._batch_size:
                await asyncio.sleep(self._poll_seconds)


@asynccontextmanager
async def relay_while_running(app: FastAPI) -> AsyncIterator[None]:
    """Relays the app's outbox to `settings.event_subscribers` for the app's lifetime (none: no relay).

    `app.state.events_transport`, when set before start-up, stands in for the network (tests).
    """
    settings: BaseServiceSettings = app.state.settings
    if not settings.event_subscribers:
        yield
        return
    async with service_http_client(
        "",
        service=settings.service_name,
        secret=settings.internal_secret.get_secret_value(),
        timeout=settings.http_timeout_seconds,
        transport=getattr(app.state, "events_transport", None),
    ) as http:
        relay = OutboxRelay(
            app.state.session_factory,
            http,
            settings.event_subscribers,
            poll_seconds=settings.outbox_poll_seconds,
            lease_seconds=max(60.0, 2 * settings.http_timeout_seconds * len(settings.event_subscribers)),
        )
        task = asyncio.create_task(relay.run(), name="outbox-relay")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

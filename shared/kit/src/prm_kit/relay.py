"""The outbox relay: delivers each service's outbox events to its subscribers, in order, at least once."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import orjson
import sqlalchemy as sa
import structlog
from fastapi import FastAPI
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from prm_kit.background import while_running
from prm_kit.clock import utc_now
from prm_kit.db.ids import ordered_id
from prm_kit.http_clients import service_http_client
from prm_kit.outbox import outbox_dead_letter, outbox_event
from prm_kit.settings import BaseServiceSettings

DELIVERED = Counter("prm_outbox_events_delivered_total", "Outbox events every subscriber accepted.")
BACKLOG = Gauge("prm_outbox_events_waiting", "Outbox events not yet delivered to every subscriber.")
OLDEST_WAITING = Gauge("prm_outbox_oldest_waiting_seconds", "Age of the oldest undelivered outbox event.")
FAILED_BATCHES = Counter(
    "prm_outbox_failed_batches_total", "Outbox batches a subscriber refused or did not answer; retried later."
)
DEAD_LETTERED = Counter(
    "prm_outbox_events_dead_lettered_total",
    "Outbox events parked as dead letters: a subscriber refused each for good, alone, too often.",
    ["subscriber"],
)
PARKED = Gauge("prm_outbox_events_parked", "Dead letters not replayed yet, per subscriber.", ["subscriber"])
PRUNED = Counter("prm_outbox_events_pruned_total", "Delivered outbox events deleted once kept long enough.")

# Answers that say nothing about the event itself: the subscriber is busy or down (408, 409, 429), or it is
# misconfigured or not (yet) a subscriber (401, 403, 404, 405) and would refuse every event alike — parking
# would then drop the whole stream. They are retried with backoff, in order, like 5xx and network errors.
RETRIED_CLIENT_ERRORS = frozenset({401, 403, 404, 405, 408, 409, 429})
DETAIL_LENGTH = 500
PRUNE_BATCH = 1_000  # delivered events deleted per transaction
_JSON_CONTENT = {"content-type": "application/json"}


def retry_delay(attempts: int, *, max_seconds: float = 300.0) -> timedelta:
    """Exponential backoff with full jitter: a subscriber that is down is not hammered in lock-step."""
    ceiling = min(max_seconds, 2.0 ** min(attempts, 16))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def requests_per_round(batch_size: int) -> int:
    """At most how many requests one subscriber gets for one batch, narrowing included: the batch, then
    halves of the refused part, each time with a retry of the rest once a half is taken."""
    return 1 + 2 * math.ceil(math.log2(max(batch_size, 1)))


@dataclass(frozen=True)
class SubscriberAnswer:
    """How a subscriber answered a delivery: taken, refused for good (the events), or to be retried."""

    subscriber: str
    status_code: int | None  # None: no HTTP answer at all
    error: str | None = None  # None: accepted
    detail: str | None = None  # the problem's detail, when it gave one

    @property
    def accepted(self) -> bool:
        return self.error is None

    @property
    def permanent(self) -> bool:
        code = self.status_code
        return code is not None and 400 <= code < 500 and code not in RETRIED_CLIENT_ERRORS


async def post_events(
    http: httpx.AsyncClient, subscriber: str, events: Sequence[dict[str, Any]]
) -> SubscriberAnswer:
    """Send events (their envelopes) to one subscriber's `POST /internal/events`."""
    body = _json({"events": events})
    try:
        response = await http.post(
            f"{subscriber.rstrip('/')}/internal/events", content=body, headers=_JSON_CONTENT
        )
    except httpx.HTTPError as exc:
        return SubscriberAnswer(subscriber, None, f"{subscriber}: {type(exc).__name__}")
    if response.is_success:
        return SubscriberAnswer(subscriber, response.status_code)
    return SubscriberAnswer(
        subscriber,
        response.status_code,
        f"{subscriber}: HTTP {response.status_code}",
        _problem_detail(response),
    )


def _json(document: dict[str, Any]) -> bytes:
    """orjson: a batch of `sales.recorded` events is megabytes of JSON, which the standard encoder took about
    ten times as long to write, once per subscriber. But orjson writes no integer past 64 bits, which JSON
    allows and a partner's custom attribute may hold: such a batch is written by the standard encoder, or it
    would fail on every attempt and hold back every later event of the service."""
    try:
        return orjson.dumps(document)
    except TypeError:
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _problem_detail(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    detail = body.get("detail") or body.get("title") if isinstance(body, dict) else None
    return detail[:DETAIL_LENGTH] if isinstance(detail, str) else None


@dataclass
class Letter:
    """A subscriber's permanent refusals of one event, as stored in `outbox_dead_letter` (or about to be)."""

    id: UUID
    event_id: UUID
    subscriber: str
    attempts: int
    status_code: int
    detail: str | None
    last_refused_at: datetime
    parked_at: datetime | None
    stored: bool  # False: a new row
    changed: bool = False


class Letters:
    """The dead letters of one claimed batch: read once before sending, written once after."""

    def __init__(self, rows: Sequence[Any], *, park_after: int) -> None:
        self._park_after = park_after
        self._by_key = {
            (row.event_id, row.subscriber): Letter(
                id=row.id,
                event_id=row.event_id,
                subscriber=row.subscriber,
                attempts=row.attempts,
                status_code=row.status_code,
                detail=row.detail,
                last_refused_at=row.last_refused_at,
                parked_at=row.parked_at,
                stored=True,
            )
            for row in rows
        }

    def parked(self, event_id: UUID, subscriber: str) -> bool:
        letter = self._by_key.get((event_id, subscriber))
        return letter is not None and letter.parked_at is not None

    def refused_before(self, event_id: UUID, subscriber: str) -> bool:
        return (event_id, subscriber) in self._by_key

    def refuse(self, event_id: UUID, answer: SubscriberAnswer, now: datetime) -> Letter:
        """Count a permanent refusal of this event alone; it is parked at the `park_after`-th."""
        assert answer.status_code is not None
        letter = self._by_key.get((event_id, answer.subscriber))
        if letter is None:
            letter = Letter(
                id=ordered_id(),
                event_id=event_id,
                subscriber=answer.subscriber,
                attempts=0,
                status_code=answer.status_code,
                detail=None,
                last_refused_at=now,
                parked_at=None,
                stored=False,
            )
            self._by_key[(event_id, answer.subscriber)] = letter
        letter.attempts += 1
        letter.status_code = answer.status_code
        letter.detail = answer.detail
        letter.last_refused_at = now
        if letter.attempts >= self._park_after:
            letter.parked_at = now
        letter.changed = True
        return letter

    def changed(self) -> list[Letter]:
        return [letter for letter in self._by_key.values() if letter.changed]


class OutboxRelay:
    """Delivers pending outbox events in batches to each subscriber's `POST /internal/events`.

    At least once: an event is marked delivered only when every subscriber accepted it (or parked it, see
    below); otherwise it is sent again later with backoff and consumers de-duplicate by event id. Events go
    out in the order they happened; one that waits for a retry holds back the ones after it.

    A network error, a 5xx or a 4xx that is not about the event (`RETRIED_CLIENT_ERRORS`) is retried and
    keeps the order. Any other 4xx refuses an event for good; a batch's refusal does not say which, so the
    relay halves the batch until the refused event is alone (what it took before is delivered). An event a
    subscriber refuses alone `park_after` times is parked for that subscriber: a row in
    `outbox_dead_letter`, not sent to it again (admins list and replay it: prm_kit.dead_letters), so the
    events after it flow; the other subscribers still get it.

    A batch is claimed by leasing it (its next attempt moved `lease_seconds` ahead) in a short transaction,
    so no lock is held while subscribers answer; a relay that dies mid-send leaves the batch to be sent
    again when the lease runs out. Several replicas may run a relay: the claim locks the head rows, so one
    sends while the others find its batch leased.

    Delivered events stay `keep_delivered` (for inspection; None: forever), then the relay deletes them, so
    the table holds days of events, not years (a `sales.recorded` event carries a whole delivery's lines).
    An event with a dead letter stays as long as its dead letter does: admins may still replay it.
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
        park_after: int = 5,
        keep_delivered: timedelta | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._http = http
        self._subscribers = list(subscribers)
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._park_after = park_after
        self._keep_delivered = keep_delivered

    async def deliver_once(self) -> int:
        """Send one batch; returns how many events were delivered (to every subscriber, or parked)."""
        claimed = await self._claim_batch()
        if not claimed:
            return 0
        letters = await self._letters_of(claimed)
        delivered = len(claimed)  # claimed[:delivered] is what every subscriber took so far
        failure: SubscriberAnswer | None = None
        for subscriber in self._subscribers:
            taken, answer = await self._deliver_to(subscriber, claimed[:delivered], letters)
            if answer is not None:
                delivered, failure = taken, answer
            if delivered == 0:
                break
        await self._record(claimed, delivered, failure, letters)
        return delivered

    async def _deliver_to(
        self, subscriber: str, events: Sequence[Any], letters: Letters
    ) -> tuple[int, SubscriberAnswer | None]:
        """Deliver `events` to one subscriber, skipping those it parked: how many from the start it took
        (or parked), and the answer that stopped it there (None: it took them all)."""
        position = 0  # events[:position] are taken or parked
        limit: int | None = None  # while narrowing: the size of the part to send next
        while True:
            remaining = [
                (index, event)
                for index, event in enumerate(events)
                if index >= position and not letters.parked(event.id, subscriber)
            ]
            if not remaining:
                return len(events), None
            head_index, head = remaining[0]
            if letters.refused_before(head.id, subscriber):
                size = 1  # the suspect goes alone
            else:
                size = len(remaining) if limit is None else min(limit, len(remaining))
            sending = remaining[:size]
            answer = await post_events(self._http, subscriber, [event.payload for _, event in sending])
            if answer.accepted:
                position, limit = sending[-1][0] + 1, None
                continue
            if not answer.permanent:
                return head_index, answer
            if size > 1:
                limit = size // 2  # the refused event is in this part: try its first half
                continue
            letter = letters.refuse(head.id, answer, utc_now())
            if letter.parked_at is None:
                return head_index, answer
            position, limit = head_index + 1, None

    async def _letters_of(self, claimed: Sequence[Any]) -> Letters:
        async with self._session_factory() as session, session.begin():
            rows = (
                await session.execute(
                    sa.select(outbox_dead_letter).where(
                        outbox_dead_letter.c.event_id.in_([row.id for row in claimed])
                    )
                )
            ).all()
        return Letters(rows, park_after=self._park_after)

    async def _record(
        self, claimed: Sequence[Any], delivered: int, failure: SubscriberAnswer | None, letters: Letters
    ) -> None:
        """One transaction: what was delivered, the backoff of the event that stopped the batch (the ones
        after it wait behind it, their lease given back), the refusals counted and the events parked."""
        now = utc_now()
        ids = [row.id for row in claimed]
        changed = letters.changed()
        async with self._session_factory() as session, session.begin():
            if delivered:
                await session.execute(
                    sa.update(outbox_event)
                    .where(outbox_event.c.id.in_(ids[:delivered]))
                    .values(delivered_at=now, last_error=None)
                )
            if failure is not None and delivered < len(claimed):
                stopped = claimed[delivered]
                await session.execute(
                    sa.update(outbox_event)
                    .where(outbox_event.c.id == stopped.id)
                    .values(
                        attempts=outbox_event.c.attempts + 1,
                        next_attempt_at=now + retry_delay(stopped.attempts + 1),
                        last_error=(failure.error or "")[:DETAIL_LENGTH],
                    )
                )
                if delivered + 1 < len(claimed):
                    await session.execute(
                        sa.update(outbox_event)
                        .where(outbox_event.c.id.in_(ids[delivered + 1 :]))
                        .values(next_attempt_at=now)
                    )
            for letter in changed:
                values = {
                    "status_code": letter.status_code,
                    "detail": letter.detail,
                    "attempts": letter.attempts,
                    "last_refused_at": letter.last_refused_at,
                    "parked_at": letter.parked_at,
                }
                if letter.stored:
                    await session.execute(
                        sa.update(outbox_dead_letter)
                        .where(outbox_dead_letter.c.id == letter.id)
                        .values(values)
                    )
                else:
                    await session.execute(
                        sa.insert(outbox_dead_letter).values(
                            id=letter.id, event_id=letter.event_id, subscriber=letter.subscriber, **values
                        )
                    )
        DELIVERED.inc(delivered)
        log = structlog.get_logger("outbox")
        if failure is not None:
            FAILED_BATCHES.inc()
            log.warning("outbox_delivery_failed", events=len(claimed) - delivered, error=failure.error)
        # a parked letter is never sent to again, so a changed one that is parked was parked just now
        newly_parked = [letter for letter in changed if letter.parked_at is not None]
        for letter in newly_parked:
            DEAD_LETTERED.labels(letter.subscriber).inc()
            log.warning(
                "outbox_event_dead_lettered",
                event_id=str(letter.event_id),
                subscriber=letter.subscriber,
                status_code=letter.status_code,
                attempts=letter.attempts,
            )
        if newly_parked:
            await self.measure_parked()

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
        await self.measure_parked()
        return int(waiting), age

    async def measure_parked(self) -> dict[str, int]:
        """Dead letters not replayed yet, per subscriber (each configured one shown, 0 when none), also set
        as the `prm_outbox_events_parked` gauge."""
        async with self._session_factory() as session, session.begin():
            rows = (
                await session.execute(
                    sa.select(outbox_dead_letter.c.subscriber, sa.func.count())
                    .where(outbox_dead_letter.c.parked_at.is_not(None))
                    .where(outbox_dead_letter.c.replayed_at.is_(None))
                    .group_by(outbox_dead_letter.c.subscriber)
                )
            ).all()
        parked = dict.fromkeys(self._subscribers, 0) | {row[0]: int(row[1]) for row in rows}
        for subscriber, count in parked.items():
            PARKED.labels(subscriber).set(count)
        return parked

    async def prune_delivered(self, *, batch: int = PRUNE_BATCH) -> int:
        """Deletes the events delivered longer than `keep_delivered` ago that no dead letter names, `batch` at
        a time (short transactions beside the writers); how many were deleted."""
        if self._keep_delivered is None:
            return 0
        cutoff = utc_now() - self._keep_delivered
        named = sa.exists().where(outbox_dead_letter.c.event_id == outbox_event.c.id)
        expired = (
            sa.select(outbox_event.c.id)
            .where(outbox_event.c.delivered_at < cutoff, ~named)
            .limit(batch)
            .scalar_subquery()
        )
        deleted = 0
        while True:
            async with self._session_factory() as session, session.begin():
                result = await session.execute(sa.delete(outbox_event).where(outbox_event.c.id.in_(expired)))
            count: int = result.rowcount  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult
            deleted += count
            PRUNED.inc(count)
            if count < batch:
                return deleted

    async def run(self, *, backlog_every_seconds: float = 15.0, prune_every_seconds: float = 600.0) -> None:
        """Relay until cancelled; errors are logged and retried, never fatal."""
        log = structlog.get_logger("outbox")
        measured_at = pruned_at = 0.0
        while True:
            try:
                delivered = await self.deliver_once()
                if time.monotonic() - measured_at >= backlog_every_seconds:
                    measured_at = time.monotonic()
                    await self.measure_backlog()
                if time.monotonic() - pruned_at >= prune_every_seconds:
                    pruned_at = time.monotonic()
                    if pruned := await self.prune_delivered():
                        log.info("outbox_pruned", events=pruned)
            except Exception as exc:  # the relay must outlive a database hiccup
                log.warning("outbox_relay_failed", error=type(exc).__name__)
                delivered = 0
            if delivered < self._batch_size:
                await asyncio.sleep(self._poll_seconds)


@asynccontextmanager
async def relay_while_running(app: FastAPI) -> AsyncIterator[None]:
    """Relays the app's outbox to `settings.event_subscribers` for the app's lifetime (none: no relay).

    The signed client to subscribers is `app.state.events_http` either way: a dead letter is replayed to
    the subscriber that parked it even when it is no longer configured. `app.state.events_transport`, when
    set before start-up, stands in for the network (tests).
    """
    settings: BaseServiceSettings = app.state.settings
    subscribers = settings.event_subscribers
    async with service_http_client(
        "",
        service=settings.service_name,
        secret=settings.internal_secret.get_secret_value(),
        timeout=settings.http_timeout_seconds,
        transport=getattr(app.state, "events_transport", None),
    ) as http:
        app.state.events_http = http
        if not subscribers:
            yield
            return
        batch_size = 200
        relay = OutboxRelay(
            app.state.session_factory,
            http,
            subscribers,
            batch_size=batch_size,
            poll_seconds=settings.outbox_poll_seconds,
            # long enough for every request of a round, narrowing included, to time out
            lease_seconds=max(
                60.0, settings.http_timeout_seconds * len(subscribers) * requests_per_round(batch_size)
            ),
            park_after=settings.relay_dead_letter_attempts,
            keep_delivered=timedelta(hours=settings.outbox_keep_delivered_hours)
            if settings.outbox_keep_delivered_hours
            else None,
        )
        async with while_running(relay.run(), name="outbox-relay"):
            yield

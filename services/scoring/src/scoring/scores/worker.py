"""The refresh worker: recomputes the stored scores of stale partners, in the app's lifespan.

Each round leases a batch of due `score_refresh` rows (short transaction), reads the tier ladder once and each
partner's facts from the registry and analytics with no transaction open, then writes each partner's score in
its own short transaction, with the progress of the partner's open improvement plans (their KPI
snapshots read beside the facts: a `kpi.updated` queues the partner, and the age sweep moves the plans' windows
on with the days). A failure (a service down) backs that partner off and is logged, never fatal; a
partner the registry does not know is dropped from the queue. Several replicas may run it: a lease keeps a
row to one worker until it expires. Tests call `refresh_once(app, now=...)` instead of running the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from uuid import UUID

import structlog
from fastapi import FastAPI
from prm_contracts.clients.analytics import AnalyticsClient
from prm_contracts.clients.registry import RegistryClient
from prm_kit.background import while_running
from prm_kit.clock import utc_now
from prm_kit.relay import retry_delay
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scoring.config import Settings
from scoring.improvement_plans import service as plans
from scoring.scores import repository, service
from scoring.scores.facts import remote_facts

LEASE = timedelta(minutes=5)


def _described(error: BaseException) -> str:
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return f"{type(error).__name__}: {error}"


async def refresh_once(app: FastAPI, *, now: datetime | None = None) -> int:
    """One round: refresh up to `score_refresh_batch` due partners; how many were refreshed."""
    settings: Settings = app.state.settings
    sessions: async_sessionmaker[AsyncSession] = app.state.session_factory
    registry: RegistryClient = app.state.registry
    analytics: AnalyticsClient = app.state.analytics
    now = now or utc_now()
    log = structlog.get_logger("score_refresh")

    async with sessions() as session, session.begin():
        if settings.score_max_age_hours > 0:
            older_than = now - timedelta(hours=settings.score_max_age_hours)
            await repository.mark_aged_stale(
                session, older_than=older_than, now=now, limit=settings.score_refresh_batch
            )
        claimed = await repository.claim_due(
            session, now=now, lease_until=now + LEASE, limit=settings.score_refresh_batch
        )
    if not claimed:
        return 0

    try:
        ladder = await registry.tiers()
    except Exception as error:  # the registry down: every claimed partner waits for the next try
        for row in claimed:
            await _failed(sessions, row.partner_id, error, now)
        log.warning("score_refresh_failed", error=_described(error), partners=len(claimed))
        return 0

    refreshed = 0
    for row in claimed:
        try:
            async with sessions() as session:
                windows = await plans.snapshot_windows_for(session, row.partner_id, today=now.date())
            # the reading session is closed: no transaction is open while the others answer
            facts = await remote_facts(
                registry,
                analytics,
                row.partner_id,
                ladder=ladder,
                today=now.date(),
                period_kind=settings.health_period,
            )
            snapshots = await plans.fetched_snapshots(analytics, row.partner_id, windows)
            async with sessions() as session, session.begin():
                if facts is not None:
                    await service.refresh_partner(session, facts, ladder=ladder, settings=settings, now=now)
                    for snapshot in snapshots:
                        await plans.refresh_plans_for(session, row.partner_id, snapshot, now=now)
                await repository.refreshed(session, row.partner_id, queued_at=row.queued_at)
            refreshed += facts is not None
        except Exception as error:  # one partner's failure never stops the others
            await _failed(sessions, row.partner_id, error, now)
            log.warning("score_refresh_failed", error=_described(error), partner_id=str(row.partner_id))
    return refreshed


async def _failed(
    sessions: async_sessionmaker[AsyncSession], partner_id: UUID, error: BaseException, now: datetime
) -> None:
    async with sessions() as session, session.begin():
        attempts = await repository.attempts_of(session, partner_id)
        await repository.refresh_failed(
            session, partner_id, error=_described(error), retry_at=now + retry_delay(attempts + 1)
        )


async def run(app: FastAPI, poll_seconds: float) -> None:
    """Refresh until cancelled; errors are logged and retried, never fatal."""
    log = structlog.get_logger("score_refresh")
    batch: int = app.state.settings.score_refresh_batch
    while True:
        try:
            done = await refresh_once(app)
        except Exception as error:  # a database hiccup must not end the worker
            log.warning("score_refresh_round_failed", error=_described(error))
            done = 0
        if done < batch:
            await asyncio.sleep(poll_seconds)


@asynccontextmanager
async def refresh_while_running(app: FastAPI) -> AsyncIterator[None]:
    """Runs the worker for the app's lifetime (`score_refresh_seconds` 0: none)."""
    poll_seconds: float = app.state.settings.score_refresh_seconds
    if poll_seconds <= 0:
        yield
        return
    async with while_running(run(app, poll_seconds), name="score-refresh"):
        yield

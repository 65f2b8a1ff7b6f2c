"""The background expiry sweep: every `deal_expiry_sweep_seconds`, approved registrations whose protection
ran out are marked expired (and `deal_registration.expired` is written), in a transaction of its own.

Reads already show such registrations as expired; the sweep makes it a recorded fact with an event, so that
incentives and the lists' indexes need not reason about the clock. Several replicas may sweep at once
(`service.expire_due` skips rows another one holds).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from partner_registry.deal_registrations.service import expire_due

_log = structlog.get_logger("deal_registrations.expiry")


async def sweep_once(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """One sweep in its own transaction; returns how many registrations expired."""
    async with session_factory() as session:
        expired = await expire_due(session, datetime.now(UTC))
        await session.commit()
    if expired:
        _log.info("deal_registrations_expired", count=len(expired))
    return len(expired)


async def sweep_periodically(
    session_factory: Callable[[], async_sessionmaker[AsyncSession]], interval_seconds: float
) -> None:
    """Sweep every `interval_seconds` until cancelled, starting one interval after start-up; a failed sweep
    is logged and tried again next time, never fatal."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await sweep_once(session_factory())
        except Exception as exc:  # the loop must outlive a database hiccup
            _log.warning("deal_expiry_sweep_failed", error=type(exc).__name__)


@asynccontextmanager
async def expiry_sweeps(app: FastAPI) -> AsyncIterator[None]:
    """Runs the sweep loop for the lifetime of the app (the `extra_lifespan` of create_service_app)."""
    interval = float(getattr(app.state.settings, "deal_expiry_sweep_seconds", 0))
    if interval <= 0:
        yield
        return
    # the factory is looked up at each sweep: tests swap it for one bound to their transaction
    task = asyncio.create_task(sweep_periodically(lambda: app.state.session_factory, interval))
    app.state.deal_expiry_task = task
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

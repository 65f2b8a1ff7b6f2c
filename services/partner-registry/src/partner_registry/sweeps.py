"""Background sweeps: every so often, record what the clock has decided (approvals whose protection ran out,
agreements past their end) in a transaction of its own, for as long as the app runs.

A sweep's work is a plain service function that takes a session and the moment it runs at and returns the
ids it changed; the same function answers the endpoint that runs one sweep on demand. Several replicas may
sweep at once: each sweep skips the rows another one holds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import structlog
from fastapi import FastAPI
from prm_kit.clock import utc_now
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

_log = structlog.get_logger("sweeps")


@dataclass(frozen=True)
class Sweep:
    """`run` every `interval_seconds` (0: never in the background). `name` names its logs and its task
    (`app.state.<name>_task`)."""

    name: str
    run: Callable[[AsyncSession, datetime], Awaitable[Sequence[UUID]]]
    interval_seconds: float


async def sweep_once(session_factory: async_sessionmaker[AsyncSession], sweep: Sweep) -> int:
    """One sweep in its own transaction, as of the moment it starts; returns how many rows it changed."""
    async with session_factory() as session:
        changed = await sweep.run(session, utc_now())
        await session.commit()
    if changed:
        _log.info(f"{sweep.name}_sweep_done", count=len(changed))
    return len(changed)


async def sweep_periodically(
    session_factory: Callable[[], async_sessionmaker[AsyncSession]], sweep: Sweep
) -> None:
    """Sweep every `sweep.interval_seconds` until cancelled, starting one interval after start-up; a failed
    sweep is logged and tried again next time, never fatal."""
    while True:
        await asyncio.sleep(sweep.interval_seconds)
        try:
            await sweep_once(session_factory(), sweep)
        except Exception as exc:  # the loop must outlive a database hiccup
            _log.warning(f"{sweep.name}_sweep_failed", error=type(exc).__name__)


@asynccontextmanager
async def periodic_sweeps(app: FastAPI, sweeps: Sequence[Sweep]) -> AsyncIterator[None]:
    """Runs each sweep's loop (those with an interval) for the lifetime of the app."""
    tasks = []
    for sweep in sweeps:
        if sweep.interval_seconds <= 0:
            continue
        # the factory is looked up at each sweep: tests swap it for one bound to their transaction
        task = asyncio.create_task(sweep_periodically(lambda: app.state.session_factory, sweep))
        setattr(app.state, f"{sweep.name}_task", task)
        tasks.append(task)
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

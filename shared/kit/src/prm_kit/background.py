"""A coroutine run beside the app for as long as a block runs (its lifespan): a relay, a worker, a sweep."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any


@contextlib.asynccontextmanager
async def while_running(work: Coroutine[Any, Any, None], *, name: str) -> AsyncIterator[asyncio.Task[None]]:
    """Runs `work` as a task while the block runs; on leaving it, cancels the task and waits for it to end
    (a failure of its own, other than the cancellation, is raised there)."""
    task = asyncio.create_task(work, name=name)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

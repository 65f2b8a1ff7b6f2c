"""The time of a request, taken once at the edge and passed in as a value (the Cosmic Python way).

Routers take `NowDep` and hand `now` to the service functions, which never read the clock themselves, so a
rule that depends on the date is testable at any date without rewriting stored rows: a test moves the clock
with `app.dependency_overrides[utc_now] = lambda: moment`. Background work (sweeps, the relay) reads
`utc_now()` once per round and passes it on the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


async def request_now(request: Request) -> datetime:
    """`NowDep`'s provider: `utc_now()`, or what a test put in its place with `dependency_overrides[utc_now]`.

    Not `Depends(utc_now)` itself: FastAPI runs a plain `def` dependency in its thread pool, and that hand-off
    cost more CPU than the rest of a small request; an `async def` one is called inline.
    """
    overrides = getattr(request.app, "dependency_overrides", None)
    clock = overrides.get(utc_now, utc_now) if overrides else utc_now
    moment: datetime = clock()
    return moment


NowDep = Annotated[datetime, Depends(request_now)]

"""The time of a request, taken once at the edge and passed in as a value (the Cosmic Python way).

Routers take `NowDep` and hand `now` to the service functions, which never read the clock themselves, so a
rule that depends on the date is testable at any date without rewriting stored rows: a test moves the clock
with `app.dependency_overrides[utc_now] = lambda: moment`. Background work (sweeps, the relay) reads
`utc_now()` once per round and passes it on the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(utc_now)]

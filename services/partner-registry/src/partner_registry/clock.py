"""The time of a request, as a dependency: endpoints whose rules depend on "now" take `NowDep`, so that tests
can move the clock (`app.dependency_overrides[utc_now] = ...`) instead of waiting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends


def utc_now() -> datetime:
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(utc_now)]

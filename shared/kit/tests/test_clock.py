"""The request's `now` comes from one dependency, so a test can move it without touching stored rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from prm_kit.clock import NowDep, utc_now


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/now")
    async def now(moment: NowDep) -> dict[str, str]:
        return {"now": moment.isoformat()}

    return app


def test_now_is_aware_and_in_utc() -> None:
    moment = utc_now()

    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.asyncio
async def test_a_test_moves_the_clock_by_overriding_utc_now() -> None:
    app = _app()
    moment = datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)
    app.dependency_overrides[utc_now] = lambda: moment

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        body = (await client.get("/now")).json()

    assert body == {"now": "2031-02-03T04:05:06+00:00"}

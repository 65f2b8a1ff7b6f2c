"""A database that cannot be reached is a 503 with Retry-After, never a 500, and the service heals by itself
when it is back (the pool reconnects; nothing restarts)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI
from prm_kit.app import create_service_app
from prm_kit.db.engine import make_engine, make_session_factory
from prm_kit.db.session import SessionDep
from prm_kit.settings import BaseServiceSettings
from prm_kit.testing import TEST_SECRET, free_ports, internal_headers
from prm_kit.testing import test_backend as database_backend

router = APIRouter()


@router.get("/v1/answer")
async def read_answer(session: SessionDep) -> dict[str, int]:
    return {"answer": int(await session.scalar(sa.text("SELECT 42")) or 0)}


@router.get("/v1/slow-answer")
async def read_answer_slowly(session: SessionDep) -> dict[str, int]:
    # held a while, so that concurrent requests need a connection each
    await session.execute(sa.text("SELECT pg_sleep(0.02)"))
    return {"answer": 42}


@router.post("/v1/answer", status_code=201)
async def write_answer(session: SessionDep) -> dict[str, int]:
    return {"answer": int(await session.scalar(sa.text("SELECT 42")) or 0)}


class UnreachableSettings(BaseServiceSettings):
    service_name: ClassVar[str] = "unreachable"


def _app(tmp_path: Path) -> FastAPI:
    (port,) = free_ports(1)  # nothing listens there: every connection is refused
    settings = UnreachableSettings(
        internal_secret=TEST_SECRET,
        database_url=f"postgresql+asyncpg://prm@127.0.0.1:{port}/prm",
        data_dir=tmp_path,
        access_log=False,
    )
    return create_service_app(
        settings, title="t", description="t", routers=[router], migrations_dir=Path(__file__).parent
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_an_unreachable_database_is_503_with_retry_after(tmp_path: Path, method: str) -> None:
    app = _app(tmp_path)
    async with LifespanManager(app):  # starts although the database is down (readiness says so)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=internal_headers()
        ) as client:
            response = await client.request(method, "/v1/answer")
            ready = await client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["type"] == "/problems/service-unavailable"
    assert "database" in body["detail"]
    assert "127.0.0.1" not in body["detail"]  # nothing internal leaks
    assert ready.status_code == 503


@pytest.mark.asyncio
@pytest.mark.skipif(
    database_backend() != "postgresql", reason="the server ends connections only on PostgreSQL"
)
async def test_after_the_server_drops_every_connection_at_most_one_request_fails_then_the_pool_heals(
    kit_app: Callable[..., FastAPI], kit_database_url: str
) -> None:
    """No ping on checkout (it cost three round trips per request): a dead pooled connection fails its first
    statement, which invalidates the whole pool, so later requests connect afresh."""
    engine = make_engine(kit_database_url, pool_size=3)
    server_pids: list[int] = []

    def remember_pid(connection: Any, _record: Any) -> None:
        server_pids.append(connection.driver_connection.get_server_pid())

    sa.event.listen(engine.sync_engine, "connect", remember_pid)
    app = kit_app(router)
    # what the lifespan would set, without its background work (the relay) using the pool as well
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=internal_headers()
        ) as client:
            warm = await asyncio.gather(*(client.get("/v1/slow-answer") for _ in range(3)))
            dropped = list(server_pids)
            await _end_backends(kit_database_url, dropped)  # as a restart of the server would
            after = [(await client.get("/v1/answer")).status_code for _ in range(4)]
    finally:
        await engine.dispose()

    assert [response.status_code for response in warm] == [200, 200, 200]
    assert len(dropped) == 3  # every pooled connection died, not just the next one to be used
    assert after == [503, 200, 200, 200]


async def _end_backends(database_url: str, pids: list[int]) -> None:
    dsn = sa.make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        # with a timeout, pg_terminate_backend waits until each backend has ended
        await connection.execute("SELECT pg_terminate_backend(pid, 5000) FROM unnest($1::int[]) AS pid", pids)
    finally:
        await connection.close()

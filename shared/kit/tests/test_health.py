"""`/healthz` says the process lives; `/readyz` says whether the database answers and is migrated to head."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from prm_kit.db.engine import make_engine
from prm_kit.migrations import ensure_database, upgrade
from prm_kit.testing import drop_database, fresh_database_url, rolled_back_app

from .kit_service import MIGRATIONS_DIR

AppFactory = Callable[..., FastAPI]


def closed_port() -> int:
    """A local port nothing listens on: connecting is refused at once, so the check fails fast."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def readiness_of(app: FastAPI) -> httpx.Response:
    """Starts the app as a server would (its lifespan owns the engine) and asks /readyz, unsigned."""
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        return await client.get("/readyz")


@pytest.mark.asyncio
async def test_healthz_answers_ok(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(), kit_database_url, principal=None) as (client, _):
        response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "kittest"}


@pytest.mark.asyncio
async def test_readyz_is_ready_when_the_database_is_at_head(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    async with rolled_back_app(kit_app(), kit_database_url, principal=None) as (client, _):
        response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "service": "kittest",
        "database": "ok",
        "migrations": "at_head",
        "detail": None,
    }


@pytest.mark.asyncio
async def test_readyz_is_not_ready_when_migrations_have_not_run(kit_app: AppFactory, tmp_path: Path) -> None:
    url = fresh_database_url("kitfresh", tmp_path)
    try:
        response = await readiness_of(kit_app(database_url=url))
    finally:
        await drop_database(url)

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"], body["migrations"]) == ("not_ready", "ok", "behind")
    assert body["detail"] == "database at None, code expects kittest0003; run prm migrate"


async def readiness_at(
    kit_app: AppFactory, tmp_path: Path, *, revision: str = "head", stamped: str | None = None
) -> httpx.Response:
    """/readyz of an app whose fresh database was upgraded to `revision`, then (`stamped`) made to say it is
    at another revision, as a newer release or another service would have left it."""
    url = fresh_database_url("kitrevision", tmp_path)
    engine = make_engine(url)
    try:
        await ensure_database(url)
        await upgrade(engine, MIGRATIONS_DIR, revision)
        if stamped is not None:
            async with engine.begin() as connection:
                await connection.execute(
                    sa.text("UPDATE alembic_version SET version_num = :stamped"), {"stamped": stamped}
                )
        return await readiness_of(kit_app(database_url=url))
    finally:
        await engine.dispose()
        await drop_database(url)


@pytest.mark.asyncio
async def test_readyz_stays_ready_when_a_newer_release_migrated_the_database(
    kit_app: AppFactory, tmp_path: Path
) -> None:
    """A rollout runs the migrate Job first: the pods of the release before must keep serving until replaced."""
    response = await readiness_at(kit_app, tmp_path, stamped="kittest9999")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["migrations"]) == ("ready", "ok", "ahead")
    assert body["detail"] == (
        "database at kittest9999, newer than this code's kittest0003: a newer release migrated it"
    )


@pytest.mark.asyncio
async def test_readyz_is_not_ready_on_another_services_database(kit_app: AppFactory, tmp_path: Path) -> None:
    response = await readiness_at(kit_app, tmp_path, stamped="registry0011")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["migrations"]) == ("not_ready", "unknown")
    assert body["detail"] == (
        "database at registry0011, not one of this service's migrations: another service's database?"
    )


@pytest.mark.asyncio
async def test_readyz_is_not_ready_when_the_database_is_at_an_older_revision(
    kit_app: AppFactory, tmp_path: Path
) -> None:
    response = await readiness_at(kit_app, tmp_path, revision="kittest0002")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["migrations"]) == ("not_ready", "behind")
    assert body["detail"] == "database at kittest0002, code expects kittest0003; run prm migrate"


@pytest.mark.asyncio
async def test_readyz_is_not_ready_when_postgresql_does_not_answer(kit_app: AppFactory) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/prm_kittest"

    response = await readiness_of(kit_app(database_url=url))

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"], body["migrations"]) == ("not_ready", "unreachable", "unknown")
    assert "127.0.0.1" not in response.text  # names the kind of failure, not the infrastructure


@pytest.mark.asyncio
async def test_readyz_is_not_ready_when_the_sqlite_file_cannot_be_opened(
    kit_app: AppFactory, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    url = f"sqlite+aiosqlite:///{not_a_folder / 'kittest.db'}"

    already_running = set(threading.enumerate())

    response = await readiness_of(kit_app(database_url=url))

    # aiosqlite stops the thread of a failed connection without waiting; let it finish while the loop runs
    for thread in set(threading.enumerate()) - already_running:
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 10)
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"

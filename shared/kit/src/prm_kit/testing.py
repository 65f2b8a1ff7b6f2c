"""A pytest plugin for every PRM test suite: fresh migrated databases, apps wired to a rolled-back transaction.

Choose the database with `PRM_TEST_DB=sqlite` (default) or `PRM_TEST_DB=postgresql`; PostgreSQL is reached at
`PRM_TEST_POSTGRES_URL` (default the local server) and each test run gets fresh databases it drops at the end.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from prm_contracts.principal import ADMIN_SCOPE, Principal
from sqlalchemy import make_url, pool, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from prm_kit.db.engine import make_engine
from prm_kit.internal_auth import INTERNAL_HEADER, sign_principal
from prm_kit.migrations import ensure_database, upgrade

TEST_SECRET = "test-internal-secret-0123456789abcdef"  # noqa: S105 - a fixed secret for tests only
ADMIN = Principal(subject="key:test-admin", scopes=frozenset({ADMIN_SCOPE}))


def test_backend() -> str:
    backend = os.environ.get("PRM_TEST_DB", "sqlite")
    if backend not in {"sqlite", "postgresql"}:
        raise pytest.UsageError("PRM_TEST_DB must be sqlite or postgresql")
    return backend


def postgres_admin_url() -> str:
    return os.environ.get("PRM_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


def fresh_database_url(service: str, tmp_dir: Path) -> str:
    """A new, empty database's URL for this test run."""
    if test_backend() == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_dir / (service + '-' + uuid.uuid4().hex[:8] + '.db')}"
    name = f"prm_test_{service}_{uuid.uuid4().hex[:10]}"
    return make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return
    admin = create_async_engine(
        parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=pool.NullPool
    )
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def migrate_fresh(url: str, migrations_dir: Path) -> None:
    await ensure_database(url)
    engine = make_engine(url)
    try:
        await upgrade(engine, migrations_dir)
    finally:
        await engine.dispose()


def run_blocking(coroutine: Any) -> Any:
    """Run a coroutine to completion from sync or async code alike (in a thread with its own loop)."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str, Path], str]]:
    """`migrated_database(service, migrations_dir)` -> URL of a fresh database at head (one per run)."""
    created: dict[str, str] = {}

    def get(service: str, migrations_dir: Path) -> str:
        if service not in created:
            url = fresh_database_url(service, tmp_path_factory.mktemp("db"))
            run_blocking(migrate_fresh(url, migrations_dir))
            created[service] = url
        return created[service]

    yield get
    for url in created.values():
        run_blocking(drop_database(url))


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """`count` consecutive free ports, below the kernel's ephemeral range so nothing else grabs them."""
    for _ in range(200):
        base = random.randrange(20_000, 32_000 - count)
        if all(port_is_free(base + offset) for offset in range(count)):
            return list(range(base, base + count))
    raise RuntimeError(f"found no {count} consecutive free ports")


@contextmanager
def served_in_subprocess(
    app_factory: str, environment: dict[str, str], log: Path, *, start_seconds: float = 90.0
) -> Iterator[str]:
    """An app (`package.main:create_app`) served by uvicorn in its own process on a free port, with only
    `environment` among the PRM_* variables; yields its base URL once `/readyz` answers, stops it after."""
    (port,) = free_ports(1)
    env = {name: value for name, value in os.environ.items() if not name.startswith("PRM_")} | environment
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app_factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - a uvicorn command line of our own
            command, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url, process, log, start_seconds)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@contextmanager
def served_on_fresh_database(
    service: str, app_factory: str, migrations_dir: Path, folder: Path, environment: dict[str, str]
) -> Iterator[str]:
    """`served_in_subprocess` on a fresh migrated database of the test backend (dropped afterwards), with
    the test secret and a data folder under `folder`; yields the base URL."""
    database_url = fresh_database_url(service, folder)
    run_blocking(migrate_fresh(database_url, migrations_dir))
    settings = {
        "PRM_INTERNAL_SECRET": TEST_SECRET,
        f"PRM_{service.upper()}_DATABASE_URL": database_url,
        "PRM_DATA_DIR": str(folder / "data"),
        "PRM_LOG_FORMAT": "console",
    }
    try:
        with served_in_subprocess(app_factory, settings | environment, folder / f"{service}.log") as url:
            yield url
    finally:
        run_blocking(drop_database(database_url))


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path, start_seconds: float) -> None:
    deadline = time.monotonic() + start_seconds
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"{url} exited at start:\n{log.read_text(errors='replace')}")
            try:
                if client.get(f"{url}/readyz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
    raise AssertionError(f"{url} was not ready after {start_seconds} s:\n{log.read_text(errors='replace')}")


def internal_headers(principal: Principal = ADMIN, secret: str = TEST_SECRET) -> dict[str, str]:
    return {INTERNAL_HEADER: sign_principal(principal, secret)}


@asynccontextmanager
async def rolled_back_app(
    app: FastAPI, database_url: str, *, principal: Principal | None = ADMIN
) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncSession]]:
    """Start `app` with its sessions inside one transaction that is rolled back afterwards.

    Yields an httpx client speaking to the app in-process (signed as `principal`, unless None)
    and a session on the same transaction, to arrange data and to check what was stored.
    """
    engine = make_engine(database_url, pooled=False)
    app.state.engine = engine
    try:
        async with engine.connect() as connection:
            outer = await connection.begin()
            async with LifespanManager(app):
                app.state.session_factory = async_sessionmaker(
                    bind=connection,
                    expire_on_commit=False,
                    autoflush=False,
                    join_transaction_mode="create_savepoint",
                )
                headers: dict[str, Any] = internal_headers(principal) if principal else {}
                transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
                async with (
                    httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as client,
                    app.state.session_factory() as session,
                ):
                    yield client, session
            await outer.rollback()
    finally:
        await engine.dispose()

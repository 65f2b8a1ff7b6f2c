"""A pytest plugin for every PRM test suite: fresh migrated databases, apps wired to a rolled-back transaction.

Choose the database with `PRM_TEST_DB=sqlite` (default) or `PRM_TEST_DB=postgresql`; PostgreSQL is reached at
`PRM_TEST_POSTGRES_URL` (default the local server) and each test run gets fresh databases it drops at the end.
A service's `tests/conftest.py` gets its fixtures from `service_fixtures`: one started app and one engine per
test session (per pytest-xdist worker), each test in a transaction rolled back at its end.
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
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from prm_contracts.principal import ADMIN_SCOPE, Principal
from sqlalchemy import make_url, pool, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

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


def xdist_worker() -> str:
    """The pytest-xdist worker this process is ("gw0", "gw1", ...), or "main" when tests run in one process."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def fresh_database_url(service: str, tmp_dir: Path) -> str:
    """A new, empty database's URL for this test run; its name says which service and xdist worker it is for."""
    name = f"{service}_{xdist_worker()}_{uuid.uuid4().hex[:10]}"
    if test_backend() == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_dir / (name + '.db')}"
    return (
        make_url(postgres_admin_url()).set(database=f"prm_test_{name}").render_as_string(hide_password=False)
    )


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


# Ports below the kernel's ephemeral range (32768+), so nothing else grabs them, split into one band per
# concurrent pytest process (each xdist worker of the SQLite and the PostgreSQL pass), so that two processes
# checking the same port at once cannot both take it.
_PORT_BANDS = 8
_PORT_BAND_WIDTH = 1_500
_FIRST_PORT = 20_000


def _port_band() -> range:
    worker = xdist_worker()
    number = int(worker.removeprefix("gw")) if worker.startswith("gw") else 0
    band = (2 * number + (test_backend() == "postgresql")) % _PORT_BANDS
    start = _FIRST_PORT + band * _PORT_BAND_WIDTH
    return range(start, start + _PORT_BAND_WIDTH)


def free_ports(count: int) -> list[int]:
    """`count` consecutive free ports in this process's band of ports."""
    band = _port_band()
    for _ in range(200):
        base = random.randrange(band.start, band.stop - count)
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


@contextmanager
def app_state_restored(app: FastAPI) -> Iterator[FastAPI]:
    """Undoes what a test changed on an app that outlives it: `app.state` and `app.dependency_overrides`."""
    state = dict(app.state._state)
    overrides = dict(app.dependency_overrides)
    try:
        yield app
    finally:
        app.state._state.clear()
        app.state._state.update(state)
        app.dependency_overrides.clear()
        app.dependency_overrides.update(overrides)


@asynccontextmanager
async def rolled_back_requests(
    app: FastAPI, *, principal: Principal | None = ADMIN
) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncSession]]:
    """For a started app (`app.state.engine` set): its sessions inside one transaction rolled back afterwards.

    Yields an httpx client speaking to the app in-process (signed as `principal`, unless None) and a session
    on the same transaction; what the test changed on the app is undone when it ends.
    """
    engine: AsyncEngine = app.state.engine
    async with engine.connect() as connection:
        outer = await connection.begin()
        with app_state_restored(app):
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


@asynccontextmanager
async def rolled_back_app(
    app: FastAPI, database_url: str, *, principal: Principal | None = ADMIN
) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncSession]]:
    """Start `app` for one test with its sessions inside one transaction that is rolled back afterwards.

    For an app configured for that test alone; the suite's shared app comes from `service_fixtures`.
    """
    engine = make_engine(database_url, pooled=False)
    app.state.engine = engine
    try:
        async with LifespanManager(app), rolled_back_requests(app, principal=principal) as started:
            yield started
    finally:
        await engine.dispose()


class SwitchableTransport(httpx.AsyncBaseTransport):
    """The network to another service, for an app that outlives a test: requests go to the transport the
    running test chose (`switched_to`), else to `default`."""

    def __init__(self, default: httpx.AsyncBaseTransport) -> None:
        self._default = default
        self._current = default

    @contextmanager
    def switched_to(self, transport: httpx.AsyncBaseTransport) -> Iterator[None]:
        self._current = transport
        try:
            yield
        finally:
            self._current = self._default

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._current.handle_async_request(request)


AppBuilder = Callable[..., FastAPI]


class StartedApps:
    """A service's apps for one test session: each configuration built and started once, on one engine."""

    def __init__(self, build: AppBuilder, settings: dict[str, Any], engine: AsyncEngine) -> None:
        self._build = build
        self._settings = settings
        self._engine = engine
        self._apps: dict[str, FastAPI] = {}
        self._running = AsyncExitStack()

    async def get(self, **settings: Any) -> FastAPI:
        """The app built with these settings (beside the database, secret and data folder), started."""
        configuration = repr(sorted(settings.items()))
        if configuration not in self._apps:
            app = self._build(**(self._settings | settings))
            app.state.engine = self._engine
            await self._running.enter_async_context(LifespanManager(app))
            self._apps[configuration] = app
        return self._apps[configuration]

    async def aclose(self) -> None:
        await self._running.aclose()
        await self._engine.dispose()


class ServiceFixtures(NamedTuple):
    """Fixtures for a service's `tests/conftest.py`; each name is the fixture's name."""

    database_url: Any
    service_apps: Any
    app: Any
    service: Any
    client: Any
    db: Any


def service_fixtures(
    service: str, migrations_dir: Path, build_app: AppBuilder, *, principal: Principal | None = ADMIN
) -> ServiceFixtures:
    """The fixtures of a service's tests, made for its conftest (`database_url, ... = service_fixtures(...)`).

    - `database_url` (session): a database migrated to head for this session;
    - `service_apps` (session): `await service_apps.get(**settings)`, the app `build_app(**settings)` makes,
      started once per configuration and kept running on one shared engine until the session ends;
    - `app`: the default app, with what the test changes on it (`app.state`, `dependency_overrides`) undone;
    - `service`: (client, session) in a transaction rolled back at the end, the client signed as `principal`;
    - `client`, `db`: its two halves.
    `build_app` gets the settings as keywords: `database_url`, `internal_secret`, `data_dir` and a test's own.
    """

    @pytest.fixture(scope="session", name="database_url")
    def database_url_fixture(migrated_database: Callable[[str, Path], str]) -> str:
        return migrated_database(service, migrations_dir)

    @pytest_asyncio.fixture(scope="session", loop_scope="session", name="service_apps")
    async def service_apps_fixture(
        database_url: str, tmp_path_factory: pytest.TempPathFactory
    ) -> AsyncIterator[StartedApps]:
        settings = {
            "database_url": database_url,
            "internal_secret": TEST_SECRET,
            "data_dir": tmp_path_factory.mktemp(f"{service}-data"),
        }
        apps = StartedApps(build_app, settings, make_engine(database_url, pool_size=2))
        try:
            yield apps
        finally:
            await apps.aclose()

    @pytest_asyncio.fixture(loop_scope="session", name="app")
    async def app_fixture(service_apps: StartedApps) -> AsyncIterator[FastAPI]:
        with app_state_restored(await service_apps.get()) as app:
            yield app

    @pytest_asyncio.fixture(loop_scope="session", name="service")
    async def service_fixture(app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncSession]]:
        async with rolled_back_requests(app, principal=principal) as started:
            yield started

    @pytest.fixture(name="client")
    def client_fixture(service: tuple[httpx.AsyncClient, AsyncSession]) -> httpx.AsyncClient:
        return service[0]

    @pytest.fixture(name="db")
    def db_fixture(service: tuple[httpx.AsyncClient, AsyncSession]) -> AsyncSession:
        return service[1]

    return ServiceFixtures(
        database_url_fixture, service_apps_fixture, app_fixture, service_fixture, client_fixture, db_fixture
    )


def access_groups(
    callers: Sequence[str], expected: Sequence[int], method: str
) -> list[list[tuple[str, int]]]:
    """One operation's row of an access matrix as groups of (caller, expected status) that can share one
    arrangement of the data the operation works on (arranging it costs far more than the calls).

    A refused request and a read store nothing, so they all go in the first group, before its one successful
    write; each further successful write gets a group, and an arrangement, of its own."""
    row = list(zip(callers, expected, strict=True))
    writes = [entry for entry in row if method not in {"GET", "HEAD"} and 200 <= entry[1] < 300]
    first = [entry for entry in row if entry not in writes] + writes[:1]
    return [first, *([entry] for entry in writes[1:])]


@asynccontextmanager
async def undone(db: AsyncSession) -> AsyncIterator[None]:
    """Whatever the test and the app store inside the block is rolled back at its end (a savepoint in the
    test's transaction, which the app's sessions nest theirs in), as if the block were a test of its own."""
    savepoint = await db.begin_nested()
    await db.connection()  # the SAVEPOINT is sent now, before the app writes, not at the session's next use
    try:
        yield
    finally:
        await savepoint.rollback()


# Tests whose database backend changes nothing they check, or which are worth running on one backend only,
# run in one pass of `make test`; the marker names which. Each pass run alone (a developer's `pytest`) runs
# them all.
PASS_OF_MARKER = {
    # documents, processes, the gateway's own limits: the same on either backend
    "backend_independent": "sqlite",
    # generated input against a service: PostgreSQL is the production backend and the stricter one with odd
    # input (typed and length-checked columns, NUL, 32-bit integers), so it finds what SQLite would and more
    "postgresql_pass": "postgresql",
    # schemathesis with every check against a whole platform (fuzz/): minutes of its own, so scripts/test.sh
    # runs it as a third process beside the two passes, which two cores share better than one long pass
    "fuzz_pass": "fuzz",
}


def pass_of_this_process() -> str:
    """Which pass of `make test` this pytest process is (`PRM_TEST_PASS`, set by scripts/test.sh for the fuzz
    pass), else its backend's."""
    return os.environ.get("PRM_TEST_PASS", "").strip() or test_backend()


def passes_of_the_run() -> set[str]:
    """The passes `make test` runs at the same time (`PRM_TEST_PASSES`, comma-separated, set by
    scripts/test.sh: the backends, and `fuzz`); unset, this pass is alone."""
    listed = os.environ.get("PRM_TEST_PASSES", "")
    return {name.strip() for name in listed.split(",") if name.strip()} or {pass_of_this_process()}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked for one pass (`PASS_OF_MARKER`) is skipped in the other when both run: running it twice
    would test nothing new and cost the suite minutes."""
    this_pass, passes = pass_of_this_process(), passes_of_the_run()
    for marker, home in PASS_OF_MARKER.items():
        if home == this_pass or home not in passes:
            continue
        elsewhere = pytest.mark.skip(reason=f"{marker}: runs in the {home} pass")
        for item in items:
            if item.get_closest_marker(marker):
                item.add_marker(elsewhere)

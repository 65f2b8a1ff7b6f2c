"""Scoring is asked while the registry holds no write transaction: read, call, then write.

A screening is up to two calls of up to 5 s each. Made inside the request's write transaction they would hold
SQLite's one write lock (every writer begins with BEGIN IMMEDIATE) the whole time, stalling every other write
of the registry. So while scoring is answering, a stand-in scoring checks that another writer can take the
database at once (SQLite) or that no transaction of the registry is open (PostgreSQL).

Unlike most tests, the app runs on its own committed database, as in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite
import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from partner_registry.config import Settings
from partner_registry.main import MIGRATIONS_DIR, create_app
from prm_contracts.scoring import APPLICATION_EVALUATION_PATH, PREQUALIFICATION_PATH
from prm_kit.testing import TEST_SECRET, drop_database, fresh_database_url, internal_headers, migrate_fresh
from sqlalchemy.ext.asyncio import create_async_engine

from ..factories import application_body
from ..fakes import FakeScoring

pytestmark = pytest.mark.asyncio

_OPEN_TRANSACTIONS = sa.text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
)


@dataclass
class WriteLockProbe:
    """What another writer finds, each time scoring is asked: None when it could write at once."""

    database_url: str
    findings: list[str | None] = field(default_factory=list)

    async def look(self) -> None:
        self.findings.append(await self._obstacle())

    async def _obstacle(self) -> str | None:
        url = sa.make_url(self.database_url)
        if url.get_backend_name() == "sqlite":
            assert url.database is not None
            # a short busy timeout: a write lock held by the registry makes this fail instead of waiting
            async with aiosqlite.connect(url.database, timeout=0.2, isolation_level=None) as other_writer:
                try:
                    await other_writer.execute("BEGIN IMMEDIATE")
                except aiosqlite.OperationalError as exc:
                    return f"another writer could not begin: {exc}"
                await other_writer.execute("ROLLBACK")
            return None
        engine = create_async_engine(url, poolclass=sa.NullPool)
        try:
            async with engine.connect() as connection:
                open_transactions = await connection.scalar(_OPEN_TRANSACTIONS)
        finally:
            await engine.dispose()
        return f"the registry has {open_transactions} transaction(s) open" if open_transactions else None


@pytest_asyncio.fixture
async def committed_registry(
    tmp_path: Path,
) -> AsyncIterator[tuple[httpx.AsyncClient, FakeScoring, WriteLockProbe]]:
    database_url = fresh_database_url("registry", tmp_path)
    await migrate_fresh(database_url, MIGRATIONS_DIR)
    probe = WriteLockProbe(database_url)
    scoring = FakeScoring(while_answering=probe.look)
    settings = Settings(
        internal_secret=TEST_SECRET,
        database_url=database_url,
        data_dir=tmp_path,
        # nothing else in the app may hold the database meanwhile
        deal_expiry_sweep_seconds=0,
        agreement_expiry_sweep_seconds=0,
    )
    app = create_app(settings, scoring_transport=scoring.transport())
    try:
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test", headers=internal_headers()
            ) as client,
        ):
            yield client, scoring, probe
    finally:
        await drop_database(database_url)


async def test_submitting_and_rescreening_ask_scoring_with_no_write_transaction_open(
    committed_registry: tuple[httpx.AsyncClient, FakeScoring, WriteLockProbe],
) -> None:
    client, scoring, probe = committed_registry

    submitted = await client.post(
        "/v1/applications", json=application_body(), headers={"Idempotency-Key": "first-submission"}
    )
    assert submitted.status_code == 201, submitted.text
    rescreened = await client.post(f"/v1/applications/{submitted.json()['id']}/screening")

    assert rescreened.status_code == 200, rescreened.text
    assert (submitted.json()["screening_status"], rescreened.json()["screening_status"]) == (
        "passed",
        "passed",
    )
    asked = [request.url.path for request in scoring.requests]
    assert asked == [PREQUALIFICATION_PATH, APPLICATION_EVALUATION_PATH] * 2
    assert probe.findings == [None] * 4

"""The kittest service (`kit_service.py`) on its own migrations, for the kit's own tests: one database and one
started app per session (`app`, `client`, `db`), or an app of a test's own routers (`kit_app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from prm_kit.db.engine import make_engine
from prm_kit.outbox import outbox_dead_letter, outbox_event
from prm_kit.testing import TEST_SECRET, service_fixtures
from sqlalchemy.ext.asyncio import AsyncEngine

from .kit_service import MIGRATIONS_DIR, kit_service_app

AppFactory = Callable[..., FastAPI]

database_url, service_apps, app, service, client, db = service_fixtures(
    "kittest", MIGRATIONS_DIR, kit_service_app
)


@pytest.fixture
def kit_database_url(database_url: str) -> str:
    """The session's kittest database at head (each test rolls its changes back)."""
    return database_url


@pytest.fixture
def kit_app(kit_database_url: str, tmp_path: Path) -> AppFactory:
    """`kit_app(router, ..., database_url=None)` -> the kittest service serving those routers, not started."""

    def build(*routers: APIRouter, database_url: str | None = None) -> FastAPI:
        return kit_service_app(
            *routers,
            internal_secret=TEST_SECRET,
            database_url=database_url or kit_database_url,
            data_dir=tmp_path,
        )

    return build


@pytest_asyncio.fixture
async def outbox_engine(migrated_database: Any) -> AsyncIterator[AsyncEngine]:
    """A database of its own, its outbox and dead letters emptied: a relay commits in sessions of its own."""
    engine = make_engine(migrated_database("relay", MIGRATIONS_DIR))
    async with engine.begin() as connection:
        await connection.execute(sa.delete(outbox_dead_letter))
        await connection.execute(sa.delete(outbox_event))
    yield engine
    await engine.dispose()

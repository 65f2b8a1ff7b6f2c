"""The registry app on a migrated database, each test inside a transaction that is rolled back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from partner_registry.config import Settings
from partner_registry.main import MIGRATIONS_DIR, create_app
from prm_kit.testing import TEST_SECRET, rolled_back_app
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import CHANNEL_MANAGER


@pytest.fixture
def database_url(migrated_database: Callable[[str, Path], str]) -> str:
    return migrated_database("registry", MIGRATIONS_DIR)


def _scoring_unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("scoring is not running in these tests", request=request)


@pytest.fixture
def scoring_transport() -> httpx.AsyncBaseTransport:
    """Scoring as the registry reaches it: unreachable, unless a test folder's conftest stands in for it."""
    return httpx.MockTransport(_scoring_unreachable)


@pytest.fixture
def app(database_url: str, tmp_path: Path, scoring_transport: httpx.AsyncBaseTransport) -> FastAPI:
    """The app under test; a test may set `app.dependency_overrides` (e.g. to move the clock)."""
    settings = Settings(internal_secret=TEST_SECRET, database_url=database_url, data_dir=tmp_path)
    return create_app(settings, scoring_transport=scoring_transport)


@pytest_asyncio.fixture
async def registry(app: FastAPI, database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncSession]]:
    """(client, session): the client calls as a channel manager unless a request says otherwise; the
    session shares the app's transaction, to look at what was stored."""
    async with rolled_back_app(app, database_url, principal=CHANNEL_MANAGER) as (client, session):
        yield client, session


@pytest.fixture
def client(registry: tuple[httpx.AsyncClient, AsyncSession]) -> httpx.AsyncClient:
    return registry[0]


@pytest.fixture
def db(registry: tuple[httpx.AsyncClient, AsyncSession]) -> AsyncSession:
    return registry[1]

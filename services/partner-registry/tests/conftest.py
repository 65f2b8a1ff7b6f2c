"""The registry on a migrated database: one app per test session, each test inside a transaction rolled back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from partner_registry.config import Settings
from partner_registry.main import MIGRATIONS_DIR, create_app
from prm_kit.testing import (
    StartedApps,
    SwitchableTransport,
    app_state_restored,
    rolled_back_requests,
    service_fixtures,
)
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import CHANNEL_MANAGER


def _scoring_unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("scoring is not running in these tests", request=request)


def build_registry(**settings: Any) -> FastAPI:
    """The registry as its tests share it. Its background sweeps are off unless asked for: an app that lives
    as long as the session would otherwise sweep in the middle of some test's transaction."""
    sweeps_off = {"deal_expiry_sweep_seconds": 0, "agreement_expiry_sweep_seconds": 0}
    return create_app(
        Settings(**(sweeps_off | settings)),
        scoring_transport=SwitchableTransport(httpx.MockTransport(_scoring_unreachable)),
    )


_registry = service_fixtures("registry", MIGRATIONS_DIR, build_registry)
database_url, service_apps = _registry.database_url, _registry.service_apps


@pytest.fixture
def scoring_transport() -> httpx.AsyncBaseTransport:
    """Scoring as the registry reaches it: unreachable, unless a test folder's conftest stands in for it."""
    return httpx.MockTransport(_scoring_unreachable)


@pytest_asyncio.fixture
async def app(
    service_apps: StartedApps, scoring_transport: httpx.AsyncBaseTransport
) -> AsyncIterator[FastAPI]:
    """The app under test, shared by the session; a test may set `app.dependency_overrides` (e.g. to move the
    clock) or `app.state`: both are undone after it."""
    shared = await service_apps.get()
    with app_state_restored(shared), shared.state.scoring_transport.switched_to(scoring_transport):
        yield shared


@pytest_asyncio.fixture
async def registry(app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncSession]]:
    """(client, session): the client calls as a channel manager unless a request says otherwise; the
    session shares the app's transaction, to look at what was stored."""
    async with rolled_back_requests(app, principal=CHANNEL_MANAGER) as started:
        yield started


@pytest.fixture
def client(registry: tuple[httpx.AsyncClient, AsyncSession]) -> httpx.AsyncClient:
    return registry[0]


@pytest.fixture
def db(registry: tuple[httpx.AsyncClient, AsyncSession]) -> AsyncSession:
    return registry[1]

"""Scoring on a database migrated to head: one app per test session, each test in a rolled-back transaction.

The registry and analytics stand in at the HTTP boundary (`registry` fixture: a `FakeRegistry` a test fills
with partners; `analytics`: a `FakeAnalytics` a test fills with KPI snapshots).
Fixtures: `database_url`, `service_apps`, `app`, `service`, and its halves `client` (signed as an admin) and
`db` (a session on the test's transaction).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from prm_kit.testing import (
    StartedApps,
    SwitchableTransport,
    app_state_restored,
    rolled_back_requests,
    service_fixtures,
)
from scoring.config import Settings
from scoring.main import MIGRATIONS_DIR, create_app
from sqlalchemy.ext.asyncio import AsyncSession

from .fake_analytics import FakeAnalytics
from .fakes import FakeRegistry


def build_scoring(**settings: Any) -> FastAPI:
    # No background refresh worker: it would share the test's connection; tests call `refresh_once`.
    return create_app(
        Settings(**({"score_refresh_seconds": 0} | settings)),
        registry_transport=SwitchableTransport(FakeRegistry().transport()),
        analytics_transport=SwitchableTransport(FakeAnalytics().transport()),
    )


_scoring = service_fixtures("scoring", MIGRATIONS_DIR, build_scoring)
database_url, service_apps = _scoring.database_url, _scoring.service_apps


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def analytics() -> FakeAnalytics:
    return FakeAnalytics()


@pytest_asyncio.fixture(loop_scope="session")
async def app(
    service_apps: StartedApps, registry: FakeRegistry, analytics: FakeAnalytics
) -> AsyncIterator[FastAPI]:
    """The shared app, reaching this test's `registry` and `analytics`; what a test changes on it is undone
    after it."""
    shared = await service_apps.get()
    with (
        app_state_restored(shared),
        shared.state.registry_transport.switched_to(registry.transport()),
        shared.state.analytics_transport.switched_to(analytics.transport()),
    ):
        yield shared


@pytest_asyncio.fixture(loop_scope="session")
async def service(app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncSession]]:
    async with rolled_back_requests(app) as started:
        yield started


@pytest.fixture
def client(service: tuple[httpx.AsyncClient, AsyncSession]) -> httpx.AsyncClient:
    return service[0]


@pytest.fixture
def db(service: tuple[httpx.AsyncClient, AsyncSession]) -> AsyncSession:
    return service[1]

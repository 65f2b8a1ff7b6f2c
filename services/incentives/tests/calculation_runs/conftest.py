"""The shared app reaching this test's fake analytics (FX rates and targets)."""

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from prm_contracts.clients.analytics import AnalyticsClient
from prm_kit.testing import StartedApps, app_state_restored

from .helpers import FakeAnalytics


@pytest.fixture
def analytics() -> FakeAnalytics:
    return FakeAnalytics()


@pytest_asyncio.fixture(loop_scope="session")
async def app(service_apps: StartedApps, analytics: FakeAnalytics) -> AsyncIterator[FastAPI]:
    shared = await service_apps.get()
    with app_state_restored(shared):
        async with httpx.AsyncClient(transport=analytics.transport(), base_url="http://analytics") as http:
            shared.state.analytics = AnalyticsClient(http)
            yield shared

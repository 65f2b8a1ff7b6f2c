"""Analytics on a database migrated to head: one app per test session, each test in a rolled-back transaction.

Fixtures (see `prm_kit.testing.service_fixtures`): `database_url`, `service_apps`, `app`, `service`, and its
halves `client` (signed as an admin) and `db` (a session on the test's transaction).
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from analytics.config import Settings
from analytics.main import MIGRATIONS_DIR, create_app
from analytics.sales.secrets import WebhookSecretCache
from fastapi import FastAPI
from prm_contracts.clients.registry import RegistryClient
from prm_kit.testing import service_fixtures

from .sales.fakes import FakeRegistry


def build_analytics(**settings: Any) -> FastAPI:
    return create_app(Settings(**settings))


database_url, service_apps, app, service, client, db = service_fixtures(
    "analytics", MIGRATIONS_DIR, build_analytics
)


@pytest_asyncio.fixture
async def registry(app: FastAPI) -> AsyncIterator[FakeRegistry]:
    """The registry's webhook-secrets endpoint as the app reaches it (the webhook's and the sales import's
    question whether a partner exists), through a fresh secret cache."""
    fake = FakeRegistry()
    async with httpx.AsyncClient(base_url="http://registry.test", transport=fake.transport()) as http:
        app.state.webhook_secrets = WebhookSecretCache(
            RegistryClient(http), ttl_seconds=30, monotonic=fake.monotonic, sleep=fake.sleep
        )
        yield fake

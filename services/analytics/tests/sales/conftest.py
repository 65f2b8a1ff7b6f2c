"""Sales webhooks under test: the registry stood in for at the HTTP boundary, the clock fixed, a signing sender.

The app outlives a test; what a test sets on `app.state` (the secret cache here) and `dependency_overrides`
(the clock) is undone after it by the `app` fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from analytics.sales.secrets import WebhookSecretCache
from fastapi import FastAPI
from prm_contracts.clients.registry import RegistryClient

from .factories import Sender
from .fakes import Clock, FakeRegistry


@pytest_asyncio.fixture
async def clock(app: FastAPI) -> Clock:
    return Clock().install(app)


@pytest_asyncio.fixture
async def registry(app: FastAPI) -> AsyncIterator[FakeRegistry]:
    """The registry's webhook-secrets endpoint as the app reaches it, through a fresh secret cache."""
    fake = FakeRegistry()
    async with httpx.AsyncClient(base_url="http://registry.test", transport=fake.transport()) as http:
        app.state.webhook_secrets = WebhookSecretCache(
            RegistryClient(http), ttl_seconds=30, monotonic=fake.monotonic, sleep=fake.sleep
        )
        yield fake


@pytest_asyncio.fixture
async def sender(client: httpx.AsyncClient, clock: Clock, registry: FakeRegistry) -> Sender:
    return Sender(client=client, clock=clock)

"""Sales webhooks under test: the clock fixed, a signing sender (the registry fixture: ../conftest.py).

The app outlives a test; what a test sets on `app.state` (the secret cache here) and `dependency_overrides`
(the clock) is undone after it by the `app` fixture.
"""

from __future__ import annotations

import httpx
import pytest_asyncio
from fastapi import FastAPI

from .factories import Sender
from .fakes import Clock, FakeRegistry


@pytest_asyncio.fixture
async def clock(app: FastAPI) -> Clock:
    return Clock().install(app)


@pytest_asyncio.fixture
async def sender(client: httpx.AsyncClient, clock: Clock, registry: FakeRegistry) -> Sender:
    return Sender(client=client, clock=clock)

"""Deal-registration tests call as the deal channel manager by default, may start the registry with other
deal settings (`registry_with`), and move the registry's clock (`clock`) to where protections run out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from partner_registry.config import Settings
from partner_registry.main import create_app
from prm_kit.testing import TEST_SECRET, rolled_back_app
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import DEAL_MANAGER, signed_as
from ..fakes import Clock

StartedRegistry = tuple[httpx.AsyncClient, AsyncSession, FastAPI]


@pytest.fixture
def client(registry: tuple[httpx.AsyncClient, AsyncSession]) -> httpx.AsyncClient:
    registry[0].headers.update(signed_as(DEAL_MANAGER))
    return registry[0]


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    """The registry's clock, starting now (agreements and close dates in the factories are real dates)."""
    return Clock(now=datetime.now(UTC)).install(app)


@pytest.fixture
def registry_with(
    database_url: str, tmp_path: Path
) -> Callable[..., AbstractAsyncContextManager[StartedRegistry]]:
    """`async with registry_with(deal_auto_approve=False) as (client, db, app)`: the registry with these
    settings, calling as the deal channel manager, in a rolled-back transaction."""

    @asynccontextmanager
    async def start(**settings: Any) -> AsyncIterator[StartedRegistry]:
        app = create_app(
            Settings(internal_secret=TEST_SECRET, database_url=database_url, data_dir=tmp_path, **settings)
        )
        async with rolled_back_app(app, database_url, principal=DEAL_MANAGER) as (client, session):
            yield client, session, app

    return start

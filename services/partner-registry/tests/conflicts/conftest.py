"""Conflict cases are worked by a conflict manager (partners:write, conflicts:write), and the clock is the
test's: cases are reported and closed at the moments a test chooses."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from prm_kit.testing import rolled_back_app
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import CONFLICT_MANAGER
from ..fakes import Clock


@pytest_asyncio.fixture
async def registry(app: FastAPI, database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncSession]]:
    async with rolled_back_app(app, database_url, principal=CONFLICT_MANAGER) as (client, session):
        yield client, session


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    return Clock().install(app)

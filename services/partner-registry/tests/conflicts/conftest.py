"""Conflict cases are worked by a conflict manager (partners:write, conflicts:write), and the clock is the
test's: cases are reported and closed at the moments a test chooses."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from prm_kit.testing import rolled_back_requests
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import CONFLICT_MANAGER
from ..fakes import Clock


@pytest_asyncio.fixture
async def registry(app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncSession]]:
    async with rolled_back_requests(app, principal=CONFLICT_MANAGER) as started:
        yield started


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    return Clock().install(app)

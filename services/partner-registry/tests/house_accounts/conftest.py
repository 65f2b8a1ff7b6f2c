"""House-account tests call as the deal channel manager by default."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import DEAL_MANAGER, signed_as


@pytest.fixture
def client(registry: tuple[httpx.AsyncClient, AsyncSession]) -> httpx.AsyncClient:
    registry[0].headers.update(signed_as(DEAL_MANAGER))
    return registry[0]

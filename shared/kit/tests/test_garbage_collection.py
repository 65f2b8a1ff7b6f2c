"""A running service collects its young objects every `YOUNG_COLLECTION_EVERY` allocations, not Python's 700,
and gives the process its thresholds back when it stops."""

from __future__ import annotations

import gc

import pytest
from asgi_lifespan import LifespanManager
from prm_kit.app import YOUNG_COLLECTION_EVERY

from .conftest import AppFactory

pytestmark = pytest.mark.asyncio


async def test_young_collections_are_rarer_while_the_service_runs(kit_app: AppFactory) -> None:
    before = gc.get_threshold()
    assert before[0] != YOUNG_COLLECTION_EVERY  # Python's own, as the test process starts with

    app = kit_app()
    async with LifespanManager(app):
        running = gc.get_threshold()

    assert running == (YOUNG_COLLECTION_EVERY, *before[1:])
    assert gc.get_threshold() == before

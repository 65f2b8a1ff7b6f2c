"""A running service collects its young objects every `YOUNG_COLLECTION_EVERY` allocations, not Python's 700,
and gives the process its thresholds back when it stops."""

from __future__ import annotations

import gc

import pytest
from asgi_lifespan import LifespanManager
from prm_kit.app import YOUNG_COLLECTION_EVERY

from .conftest import AppFactory

pytestmark = pytest.mark.asyncio

PYTHONS_OWN = (700, 10, 10)


async def test_young_collections_are_rarer_while_the_service_runs(kit_app: AppFactory) -> None:
    # the test process may hold another app's lifespan open (a session's service): start from Python's own
    previous = gc.get_threshold()
    gc.set_threshold(*PYTHONS_OWN)
    try:
        app = kit_app()
        async with LifespanManager(app):
            running = gc.get_threshold()
        stopped = gc.get_threshold()
    finally:
        gc.set_threshold(*previous)

    assert running == (YOUNG_COLLECTION_EVERY, *PYTHONS_OWN[1:])
    assert stopped == PYTHONS_OWN

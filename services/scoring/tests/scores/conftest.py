"""These tests reach a registry with a tier ladder, certifications and the tier-change endpoint; the
`clock` fixture dates requests and events at EVENT_AT, so what they queue is due when a test refreshes."""

import pytest
from fastapi import FastAPI
from prm_kit.clock import utc_now

from .helpers import EVENT_AT, LadderRegistry


@pytest.fixture
def registry() -> LadderRegistry:
    return LadderRegistry()


@pytest.fixture
def clock(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scoring.events.utc_now", lambda: EVENT_AT)
    app.dependency_overrides[utc_now] = lambda: EVENT_AT
    return

"""Scoring stands in at the HTTP boundary: each test sets `scoring.mode` (pass, fail, unreachable, ...)."""

from __future__ import annotations

import httpx
import pytest

from ..fakes import FakeScoring


@pytest.fixture
def scoring() -> FakeScoring:
    return FakeScoring()


@pytest.fixture
def scoring_transport(scoring: FakeScoring) -> httpx.AsyncBaseTransport:
    return scoring.transport()

"""The clock is the test's: secrets are issued and checked at the moments a test chooses."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from ..fakes import Clock


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    return Clock().install(app)

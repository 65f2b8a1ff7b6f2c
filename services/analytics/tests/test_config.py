"""Analytics finds its database from its own variable first, then from the shared template."""

import os

import pytest
from analytics.config import Settings
from prm_kit.testing import TEST_SECRET


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Only what a test sets: no PRM_* variable of the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.upper().startswith("PRM_") and not name.upper().startswith("PRM_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PRM_INTERNAL_SECRET", TEST_SECRET)
    return monkeypatch


def test_its_own_variable_comes_before_the_template(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("PRM_DATABASE_URL", "postgresql://db/prm_{service}")
    environment.setenv("PRM_ANALYTICS_DATABASE_URL", "postgres://analytics-db/analytics")

    assert Settings().effective_database_url == "postgresql+asyncpg://analytics-db/analytics"
    environment.delenv("PRM_ANALYTICS_DATABASE_URL")
    assert Settings().effective_database_url == "postgresql+asyncpg://db/prm_analytics"

"""Incentives finds its database from its own variable first, then from the shared template."""

import os

import pytest
from incentives.config import Settings
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
    environment.setenv("PRM_INCENTIVES_DATABASE_URL", "postgres://incentives-db/incentives")

    assert Settings().effective_database_url == "postgresql+asyncpg://incentives-db/incentives"
    environment.delenv("PRM_INCENTIVES_DATABASE_URL")
    assert Settings().effective_database_url == "postgresql+asyncpg://db/prm_incentives"

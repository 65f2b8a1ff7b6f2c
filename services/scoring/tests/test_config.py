"""Scoring finds its database from its own variable first, then from the shared template."""

import os

import pytest
from prm_kit.testing import TEST_SECRET
from scoring.config import Settings


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
    environment.setenv("PRM_SCORING_DATABASE_URL", "postgres://scoring-db/scores")

    assert Settings().effective_database_url == "postgresql+asyncpg://scoring-db/scores"
    environment.delenv("PRM_SCORING_DATABASE_URL")
    assert Settings().effective_database_url == "postgresql+asyncpg://db/prm_scoring"

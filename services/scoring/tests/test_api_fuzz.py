"""Whatever a client sends, scoring answers without a server error, in the shape its document promises.

Schemathesis generates requests for every operation of scoring's OpenAPI document, valid and not, and sends
them over HTTP to scoring served in this process on a fresh migrated database (as an admin, so the requests
reach the code behind the access checks); each answer must pass `prm_kit.fuzzing.API_CHECKS`. The registry
and analytics stand in at the HTTP boundary, as in the other scoring tests, as on a fresh platform: the
registry knows no partner yet, analytics no KPIs. (Not running at all, they would make every request that
asks them a 503: the right answer, but it tests nothing behind it.) `PRM_FUZZ_EXAMPLES` sets the examples
per operation, `PRM_FUZZ_PHASES` the phases (see prm_kit.fuzzing).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from prm_kit.fuzzing import API_CHECKS, fuzz_phases, fuzz_settings, served_in_thread, service_schema
from prm_kit.testing import TEST_SECRET, internal_headers
from scoring.config import Settings
from scoring.main import MIGRATIONS_DIR, create_app

from .fake_analytics import FakeAnalytics
from .fakes import FakeRegistry

# In the PostgreSQL pass only when both passes run: see prm_kit.fuzzing.
pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_pass]

EXAMPLES_PER_OPERATION = int(os.environ.get("PRM_FUZZ_EXAMPLES", "3"))


@pytest.fixture(scope="module")
def scoring_app(
    migrated_database: Callable[[str, Path], str], tmp_path_factory: pytest.TempPathFactory
) -> FastAPI:
    """Built when the test runs, not at collection: a pass that skips this module pays nothing for it."""
    settings = Settings(
        internal_secret=TEST_SECRET,
        # A database of its own: these requests commit, and the other scoring tests count rows in theirs.
        database_url=migrated_database("scoring_fuzz", MIGRATIONS_DIR),
        data_dir=tmp_path_factory.mktemp("scoring-fuzz"),
        score_refresh_seconds=0,  # no background work between requests: a failure is the request's own
        access_log=False,
    )
    return create_app(
        settings,
        registry_transport=FakeRegistry().transport(),
        analytics_transport=FakeAnalytics().transport(),
    )


@pytest.fixture(scope="module")
def scoring_schema(scoring_app: FastAPI) -> Any:
    return service_schema(scoring_app.openapi(), fuzz_phases())


# Each operation is a subtest of the one test below, reported by its method and path.
schema = schemathesis.pytest.from_fixture("scoring_schema")


@pytest.fixture(scope="module")
def scoring_url(scoring_app: FastAPI) -> Iterator[str]:
    with served_in_thread(scoring_app) as url:
        yield url


@schema.parametrize()
@fuzz_settings(EXAMPLES_PER_OPERATION)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    case: schemathesis.Case, scoring_url: str
) -> None:
    response = case.call(base_url=scoring_url, headers=internal_headers(), timeout=30)
    case.validate_response(response, checks=API_CHECKS)

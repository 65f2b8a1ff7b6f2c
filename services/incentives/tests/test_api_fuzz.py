"""Whatever a client sends, incentives answers without a server error, in the shape its document promises.

Schemathesis generates requests for every operation of incentives' OpenAPI document, valid and not, and
sends them over HTTP to incentives served in this process on a fresh migrated database (as an admin, so the
requests reach the code behind the access checks); each answer must pass `prm_kit.fuzzing.API_CHECKS`.
Analytics and the registry stand in at the HTTP boundary, as in the calculation-run tests, as on a fresh
platform: no FX rates, no targets, no partners. `PRM_FUZZ_EXAMPLES` sets the examples per operation, `PRM_FUZZ_PHASES` the phases (see
prm_kit.fuzzing).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from incentives.config import Settings
from incentives.main import MIGRATIONS_DIR, create_app
from prm_kit.fuzzing import API_CHECKS, fuzz_phases, fuzz_settings, served_in_thread, service_schema
from prm_kit.testing import TEST_SECRET, internal_headers

from .calculation_runs.helpers import FakeAnalytics
from .replica.factories import FakeRegistry

# In the PostgreSQL pass only when both passes run: see prm_kit.fuzzing.
pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_pass]

EXAMPLES_PER_OPERATION = int(os.environ.get("PRM_FUZZ_EXAMPLES", "3"))


@pytest.fixture(scope="module")
def incentives_app(
    migrated_database: Callable[[str, Path], str], tmp_path_factory: pytest.TempPathFactory
) -> FastAPI:
    """Built when the test runs, not at collection: a pass that skips this module pays nothing for it."""
    settings = Settings(
        internal_secret=TEST_SECRET,
        # A database of its own: these requests commit, and the other incentives tests count rows in theirs.
        database_url=migrated_database("incentives_fuzz", MIGRATIONS_DIR),
        data_dir=tmp_path_factory.mktemp("incentives-fuzz"),
        access_log=False,
    )
    return create_app(
        settings,
        analytics_transport=FakeAnalytics().transport(),
        registry_transport=FakeRegistry(known=set()).transport(),
    )


@pytest.fixture(scope="module")
def incentives_schema(incentives_app: FastAPI) -> Any:
    return service_schema(incentives_app.openapi(), fuzz_phases())


# Each operation is a subtest of the one test below, reported by its method and path.
schema = schemathesis.pytest.from_fixture("incentives_schema")


@pytest.fixture(scope="module")
def incentives_url(incentives_app: FastAPI) -> Iterator[str]:
    with served_in_thread(incentives_app) as url:
        yield url


@schema.parametrize()
@fuzz_settings(EXAMPLES_PER_OPERATION)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    case: schemathesis.Case, incentives_url: str
) -> None:
    response = case.call(base_url=incentives_url, headers=internal_headers(), timeout=30)
    case.validate_response(response, checks=API_CHECKS)

"""Whatever a client sends, analytics answers without a server error, in the shape its document promises.

Schemathesis generates requests for every operation of analytics' OpenAPI document, valid and not, and sends
them over HTTP to analytics served in this process on a fresh migrated database (as an admin, so the requests
reach the code behind the access checks); each answer must pass `prm_kit.fuzzing.API_CHECKS`. The registry
stands in at the HTTP boundary as on a fresh platform: it knows no partner, so a delivery that gets as far
as asking for the partner's webhook secrets is a 404. `PRM_FUZZ_EXAMPLES` sets the examples per operation,
`PRM_FUZZ_PHASES` the phases (see prm_kit.fuzzing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from analytics.config import Settings
from analytics.main import MIGRATIONS_DIR, create_app
from fastapi import FastAPI
from prm_contracts.problem import PROBLEM_MEDIA_TYPE
from prm_kit.fuzzing import API_CHECKS, fuzz_phases, fuzz_settings, served_in_thread, service_schema
from prm_kit.testing import TEST_SECRET, internal_headers

# In the PostgreSQL pass only when both passes run: see prm_kit.fuzzing.
pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_pass]

EXAMPLES_PER_OPERATION = int(os.environ.get("PRM_FUZZ_EXAMPLES", "3"))


def _registry_knowing_no_partner(request: httpx.Request) -> httpx.Response:
    problem = {
        "type": "/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": "no such partner",
    }
    return httpx.Response(404, content=json.dumps(problem), headers={"content-type": PROBLEM_MEDIA_TYPE})


@pytest.fixture(scope="module")
def analytics_app(
    migrated_database: Callable[[str, Path], str], tmp_path_factory: pytest.TempPathFactory
) -> FastAPI:
    """Built when the test runs, not at collection: a pass that skips this module pays nothing for it."""
    settings = Settings(
        internal_secret=TEST_SECRET,
        # A database of its own: these requests commit, and the other analytics tests count rows in theirs.
        database_url=migrated_database("analytics_fuzz", MIGRATIONS_DIR),
        data_dir=tmp_path_factory.mktemp("analytics-fuzz"),
        access_log=False,
    )
    return create_app(settings, registry_transport=httpx.MockTransport(_registry_knowing_no_partner))


@pytest.fixture(scope="module")
def analytics_schema(analytics_app: FastAPI) -> Any:
    return service_schema(analytics_app.openapi(), fuzz_phases())


# Each operation is a subtest of the one test below, reported by its method and path.
schema = schemathesis.pytest.from_fixture("analytics_schema")


@pytest.fixture(scope="module")
def analytics_url(analytics_app: FastAPI) -> Iterator[str]:
    with served_in_thread(analytics_app) as url:
        yield url


@schema.parametrize()
@fuzz_settings(EXAMPLES_PER_OPERATION)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    case: schemathesis.Case, analytics_url: str
) -> None:
    response = case.call(base_url=analytics_url, headers=internal_headers(), timeout=30)
    case.validate_response(response, checks=API_CHECKS)

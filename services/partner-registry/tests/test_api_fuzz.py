"""Whatever a client sends, the registry answers without a server error, in the shape its document promises.

Schemathesis generates requests for every operation of the registry's OpenAPI document, valid and not,
and sends them over HTTP to the registry running as its own process on a fresh database (as an admin, so
the requests reach the code behind the access checks); each answer must pass `prm_kit.fuzzing.API_CHECKS`.
(Schemathesis' `negative_data_rejection` is left out: it flags only a single-valued query parameter sent
twice, which FastAPI answers with the last value.) `PRM_FUZZ_EXAMPLES` sets the examples per operation
(12 by default).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from partner_registry.config import Settings
from partner_registry.main import MIGRATIONS_DIR, create_app
from prm_kit.fuzzing import API_CHECKS, fuzz_settings, service_schema
from prm_kit.testing import TEST_SECRET, internal_headers, served_on_fresh_database

# In the PostgreSQL pass only when both passes run: see prm_kit.fuzzing.
pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_pass]

EXAMPLES_PER_OPERATION = int(os.environ.get("PRM_FUZZ_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def registry_schema() -> Any:
    """The registry's own document, loaded when the test runs, not at collection: building a test for each of
    its operations costs seconds of CPU that a pass skipping this module should not pay."""
    settings = Settings(internal_secret=TEST_SECRET, database_url="sqlite+aiosqlite:///:memory:")
    return service_schema(create_app(settings).openapi())


# Each operation is a subtest of the one test below, reported by its method and path.
schema = schemathesis.pytest.from_fixture("registry_schema")


@pytest.fixture(scope="module")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # scoring is not running: applications are stored pending, at once
    environment = {"PRM_ACCESS_LOG": "false", "PRM_SCORING_URL": "http://127.0.0.1:9"}
    folder = tmp_path_factory.mktemp("fuzz")
    with served_on_fresh_database(
        "registry", "partner_registry.main:create_app", MIGRATIONS_DIR, folder, environment
    ) as url:
        yield url


@schema.parametrize()
@fuzz_settings(EXAMPLES_PER_OPERATION)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    case: schemathesis.Case, registry_url: str
) -> None:
    response = case.call(base_url=registry_url, headers=internal_headers(), timeout=30)
    case.validate_response(response, checks=API_CHECKS)

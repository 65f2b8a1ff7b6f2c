"""Whatever a client sends, the registry answers without a server error, in the shape its document promises.

Schemathesis generates requests for every operation of the registry's OpenAPI document, valid and not,
and sends them over HTTP to the registry running as its own process on a fresh database (as an admin, so
the requests reach the code behind the access checks). Checks: no 5xx, the status code is one the
document lists, and a problem or a body of the documented schema comes back. (Schemathesis'
`negative_data_rejection` is left out: it flags only a single-valued query parameter sent twice, which
FastAPI answers with the last value.) `PRM_FUZZ_EXAMPLES` sets the examples per operation (12 in CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from partner_registry.config import Settings
from partner_registry.main import MIGRATIONS_DIR, create_app
from prm_kit.testing import (
    TEST_SECRET,
    drop_database,
    fresh_database_url,
    internal_headers,
    migrate_fresh,
    run_blocking,
    served_in_subprocess,
)
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = int(os.environ.get("PRM_FUZZ_EXAMPLES", "12"))


def _registry_document() -> dict[str, object]:
    app = create_app(Settings(internal_secret=TEST_SECRET, database_url="sqlite+aiosqlite:///:memory:"))
    return app.openapi()


schema = schemathesis.openapi.from_dict(_registry_document())
# The bearer scheme is the gateway's: the registry itself takes the signed principal the test sends.
schema.config.generation.update(with_security_parameters=False)


@pytest.fixture(scope="module")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("fuzz")
    database_url = fresh_database_url("registry", folder)
    run_blocking(migrate_fresh(database_url, MIGRATIONS_DIR))
    environment = {
        "PRM_INTERNAL_SECRET": TEST_SECRET,
        "PRM_REGISTRY_DATABASE_URL": database_url,
        "PRM_DATA_DIR": str(folder / "data"),
        "PRM_ACCESS_LOG": "false",
        # scoring is not running: applications are stored pending, fast
        "PRM_SCORING_URL": "http://127.0.0.1:9",
    }
    try:
        with served_in_subprocess(
            "partner_registry.main:create_app", environment, folder / "registry.log"
        ) as url:
            yield url
    finally:
        run_blocking(drop_database(database_url))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    case: schemathesis.Case, registry_url: str
) -> None:
    response = case.call(base_url=registry_url, headers=internal_headers(), timeout=30)
    case.validate_response(
        response,
        checks=(
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ),
    )

"""The gateway's own API (API keys, status) answers any request without a server error and as documented.

Schemathesis sends generated requests, valid and not, to the gateway running as its own process with a
bootstrap admin key; the services behind it are not running, so `/v1/status` reports them down.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
import schemathesis
from gateway.config import Settings
from gateway.main import MIGRATIONS_DIR, create_app
from hypothesis import HealthCheck, settings
from prm_kit.testing import (
    TEST_SECRET,
    drop_database,
    free_ports,
    fresh_database_url,
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
ADMIN_KEY = f"prm_fuzz{secrets.token_hex(2)}_{secrets.token_urlsafe(32)}"


def _gateway_document() -> dict[str, object]:
    app = create_app(Settings(internal_secret=TEST_SECRET, database_url="sqlite+aiosqlite:///:memory:"))
    return app.openapi()


schema = schemathesis.openapi.from_dict(_gateway_document())
schema.config.generation.update(with_security_parameters=False)  # the test sends a valid admin key


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("gateway-fuzz")
    database_url = fresh_database_url("gateway", folder)
    run_blocking(migrate_fresh(database_url, MIGRATIONS_DIR))
    nowhere = [f"http://127.0.0.1:{port}" for port in free_ports(4)]
    environment = {
        "PRM_INTERNAL_SECRET": TEST_SECRET,
        "PRM_GATEWAY_DATABASE_URL": database_url,
        "PRM_DATA_DIR": str(folder / "data"),
        "PRM_ACCESS_LOG": "false",
        "PRM_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "PRM_RATE_LIMIT_PER_SECOND": "100000",
        "PRM_RATE_LIMIT_BURST": "100000",
        **{
            f"PRM_{name}_URL": url
            for name, url in zip(("REGISTRY", "SCORING", "INCENTIVES", "ANALYTICS"), nowhere, strict=True)
        },
    }
    try:
        with served_in_subprocess("gateway.main:create_app", environment, folder / "gateway.log") as url:
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
    case: schemathesis.Case, gateway_url: str
) -> None:
    response = case.call(base_url=gateway_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)
    case.validate_response(
        response,
        checks=(
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ),
    )

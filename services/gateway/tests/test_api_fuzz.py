"""The gateway's own API (API keys, status) answers any request without a server error and as documented.

Schemathesis sends generated requests, valid and not, to the gateway running as its own process with a
bootstrap admin key; the services behind it are not running, so `/v1/status` reports them down, but for a
stand-in registry that knows every partner (a key bound to a partner is made only when the registry has it).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from gateway.config import Settings
from gateway.main import MIGRATIONS_DIR, create_app
from prm_kit.fuzzing import API_CHECKS, fuzz_settings, service_schema
from prm_kit.testing import TEST_SECRET, free_ports, served_on_fresh_database

from .fakes import EchoService, ServerThread

# In the PostgreSQL pass only when both passes run: see prm_kit.fuzzing.
pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_pass]

EXAMPLES_PER_OPERATION = int(os.environ.get("PRM_FUZZ_EXAMPLES", "12"))
ADMIN_KEY = f"prm_fuzz{secrets.token_hex(2)}_{secrets.token_urlsafe(32)}"


@pytest.fixture(scope="module")
def gateway_schema() -> Any:
    """The gateway's own document, loaded when the test runs, not at collection: building a test for each of
    its operations costs CPU that a pass skipping this module should not pay."""
    settings = Settings(internal_secret=TEST_SECRET, database_url="sqlite+aiosqlite:///:memory:")
    return service_schema(create_app(settings).openapi())


# Each operation is a subtest of the one test below, reported by its method and path.
schema = schemathesis.pytest.from_fixture("gateway_schema")


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    nowhere = dict(zip(("SCORING", "INCENTIVES", "ANALYTICS"), free_ports(3), strict=True))
    registry = ServerThread(EchoService("registry")).start()
    environment = {
        "PRM_ACCESS_LOG": "false",
        "PRM_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "PRM_RATE_LIMIT_PER_SECOND": "100000",
        "PRM_RATE_LIMIT_BURST": "100000",
        "PRM_REGISTRY_URL": registry.url,
        **{f"PRM_{name}_URL": f"http://127.0.0.1:{port}" for name, port in nowhere.items()},
    }
    folder = tmp_path_factory.mktemp("gateway-fuzz")
    try:
        with served_on_fresh_database(
            "gateway", "gateway.main:create_app", MIGRATIONS_DIR, folder, environment
        ) as url:
            yield url
    finally:
        registry.stop()


@schema.parametrize()
@fuzz_settings(EXAMPLES_PER_OPERATION)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    case: schemathesis.Case, gateway_url: str
) -> None:
    response = case.call(base_url=gateway_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)
    case.validate_response(response, checks=API_CHECKS)

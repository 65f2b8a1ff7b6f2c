"""What every service's API fuzz test shares: Schemathesis loaded from the service's own document, the
generation settings and the checks each answer must pass.

A fuzz module loads its schema in a module-scoped fixture, `schema = schemathesis.pytest.from_fixture(...)`
(each operation then runs as a subtest): building a Hypothesis test for every operation at collection would
cost seconds of CPU in every pass, including one that skips the module. It is marked `postgresql_pass`
(`pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_pass]`):
when `make test` runs both passes, it runs in the PostgreSQL one only. Fuzzing is the costliest test per
operation (one real request per example, generated and checked in the test process), and PostgreSQL, the
production backend, refuses more odd input than SQLite (typed and length-checked columns, NUL, 32-bit
integers), so the server errors generated input can cause show there; the SQLite pass, the longer one with
the backend-independent tests, is spared that cost. Run alone, either pass fuzzes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# No 5xx; only documented status codes, content types and bodies.
API_CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


def service_schema(document: dict[str, Any]) -> Any:
    """The schema to parametrize tests with. The bearer scheme is the gateway's: a test sends its own
    credential, so no requests without it are generated."""
    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(with_security_parameters=False)
    return schema


def fuzz_settings(examples_per_operation: int) -> Callable[[Any], Any]:
    """Hypothesis settings for one request per example against a running process (slow is expected)."""
    return settings(
        max_examples=examples_per_operation,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
        ],
    )

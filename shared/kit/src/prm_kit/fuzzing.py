"""What every service's API fuzz test shares: Schemathesis loaded from the service's own document, the
generation settings and the checks each answer must pass."""

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

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

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from prm_kit.testing import free_ports

# No 5xx; only documented status codes, content types and bodies.
API_CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


def fuzz_phases(default: str = "examples,fuzzing") -> list[str] | None:
    """The Schemathesis phases to run: `PRM_FUZZ_PHASES` (comma-separated; `all` for every phase), else
    `default`. The coverage phase sends some fifty requests per operation (every boundary and every
    invalid variant of each parameter), too many for `make test`; a longer run turns it on."""
    names = os.environ.get("PRM_FUZZ_PHASES", default)
    if names.strip() == "all":
        return None
    return [name.strip() for name in names.split(",") if name.strip()]


def service_schema(document: dict[str, Any], phases: list[str] | None = None) -> Any:
    """The schema to parametrize tests with, running `phases` (None: Schemathesis' default, all). The
    bearer scheme is the gateway's: a test sends its own credential, so no requests without it are
    generated."""
    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(with_security_parameters=False)
    if phases is not None:
        schema.config.phases.update(phases=phases)
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


class ServedInThread(threading.Thread):
    """An ASGI app served by uvicorn on its own event loop in a thread of this process, until `stop()`: for
    an app a test builds itself (stand-ins for the services it calls at the HTTP boundary), which a
    subprocess cannot be given."""

    def __init__(self, app: FastAPI, port: int) -> None:
        super().__init__(daemon=True)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.url = f"http://127.0.0.1:{port}"

    def run(self) -> None:
        asyncio.run(self.server.serve())

    def started(self, timeout_seconds: float = 60.0) -> ServedInThread:
        self.start()
        deadline = time.monotonic() + timeout_seconds
        while not self.server.started:
            if not self.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.url} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.join(timeout=10)


@contextmanager
def served_in_thread(app: FastAPI) -> Iterator[str]:
    """`app` served in a thread of this process on a free port; yields its base URL, stops it after."""
    (port,) = free_ports(1)
    served = ServedInThread(app, port).started()
    try:
        yield served.url
    finally:
        served.stop()

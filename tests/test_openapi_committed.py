"""The committed openapi/prm.json is the spec the code produces: frontend teams build against the file, and
the gateway serves it at /openapi.json."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prm_cli.openapi import render

pytestmark = pytest.mark.backend_independent

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "prm.json"


def test_committed_openapi_document_is_current(merged_openapi: Callable[[], dict[str, Any]]) -> None:
    produced = render(merged_openapi())

    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""

    if committed != produced:  # not `assert ==`: a diff of thousands of JSON lines helps nobody
        pytest.fail("openapi/prm.json is out of date with the code: run `make openapi` and commit it")

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

# The shared test plugin (fresh migrated databases, rolled-back app clients) for every suite in the repo.
pytest_plugins = ["prm_kit.testing"]


@pytest.fixture(scope="session")
def merged_openapi() -> Callable[[], dict[str, Any]]:
    """`merged_openapi()`: a copy of the merged document, built once per test session (each build takes
    about a second of CPU, and it is the same document until the code changes)."""
    # Imported here: only a session that uses it pays for importing every service.
    from prm_cli.openapi_merge import build_merged_openapi

    built = build_merged_openapi()
    return lambda: copy.deepcopy(built)

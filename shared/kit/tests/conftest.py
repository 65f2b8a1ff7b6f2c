"""A tiny service, "kittest", assembled by the kit exactly as a real service is, for the kit's own tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi import APIRouter, FastAPI
from prm_kit.app import create_service_app
from prm_kit.settings import BaseServiceSettings
from prm_kit.testing import TEST_SECRET
from scoring.main import MIGRATIONS_DIR as SCORING_MIGRATIONS

# The kit has no tables of its own; the scoring skeleton's migrations (outbox and inbox only) serve.
MIGRATIONS_DIR = SCORING_MIGRATIONS

AppFactory = Callable[..., FastAPI]


class KitSettings(BaseServiceSettings):
    service_name: ClassVar[str] = "kittest"


@pytest.fixture
def kit_database_url(migrated_database: Any) -> str:
    """A database at head, shared by this run's kit tests (each test rolls its changes back)."""
    url: str = migrated_database("kittest", MIGRATIONS_DIR)
    return url


@pytest.fixture
def kit_app(kit_database_url: str, tmp_path: Path) -> AppFactory:
    """`kit_app(router, ..., database_url=None)` -> the kittest service serving those routers."""

    def build(*routers: APIRouter, database_url: str | None = None) -> FastAPI:
        settings = KitSettings(
            internal_secret=TEST_SECRET,
            database_url=database_url or kit_database_url,
            data_dir=tmp_path,
            access_log=False,
        )
        return create_service_app(
            settings,
            title="Kit test service",
            description="Exercises the service kit.",
            routers=list(routers),
            migrations_dir=MIGRATIONS_DIR,
        )

    return build

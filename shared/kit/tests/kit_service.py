"""A tiny service, "kittest", assembled by the kit exactly as a real service is, on migrations of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from fastapi import APIRouter, FastAPI
from prm_kit.app import create_service_app
from prm_kit.settings import BaseServiceSettings

# Only the kit's own tables (outbox, inbox, idempotency records): kit tests need no service's migrations.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class KitSettings(BaseServiceSettings):
    service_name: ClassVar[str] = "kittest"


def kit_service_app(*routers: APIRouter, **settings: Any) -> FastAPI:
    """The kittest service serving `routers`, with these settings."""
    return create_service_app(
        KitSettings(**({"access_log": False} | settings)),
        title="Kit test service",
        description="Exercises the service kit.",
        routers=list(routers),
        migrations_dir=MIGRATIONS_DIR,
    )

"""The Partner registry service: `create_app(settings)` for uvicorn's factory mode and for tests."""

from pathlib import Path

from fastapi import FastAPI
from prm_kit.app import create_service_app

from partner_registry.config import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="PRM Partner registry",
        description=__doc__ or "",
        routers=[],
        migrations_dir=MIGRATIONS_DIR,
    )

"""The Partner registry service: `create_app(settings)` for uvicorn's factory mode and for tests.

The system of record of partners: who they are, where they are in their lifecycle, who to talk to there,
and every change made to them.
"""

from pathlib import Path

from fastapi import FastAPI
from prm_kit.app import create_service_app

from partner_registry.config import Settings
from partner_registry.contacts.router import router as contacts_router
from partner_registry.partners.router import router as partners_router

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

OPENAPI_TAGS = [
    {
        "name": "partners",
        "description": "Partners: registration, search, updates (with `ETag`/`If-Match`), the lifecycle "
        "(prospect → applied → onboarding → active ⇄ suspended → terminated) and the history of every change.",
    },
    {
        "name": "contacts",
        "description": "The people to talk to at a partner; at most one primary contact per partner.",
    },
]


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="PRM Partner registry",
        description=__doc__ or "",
        routers=[partners_router, contacts_router],
        migrations_dir=MIGRATIONS_DIR,
        openapi_tags=OPENAPI_TAGS,
    )

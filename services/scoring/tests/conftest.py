"""Scoring on a database migrated to head: one app per test session, each test in a rolled-back transaction.

Fixtures (see `prm_kit.testing.service_fixtures`): `database_url`, `service_apps`, `app`, `service`, and its
halves `client` (signed as an admin) and `db` (a session on the test's transaction).
"""

from typing import Any

from fastapi import FastAPI
from prm_kit.testing import service_fixtures
from scoring.config import Settings
from scoring.main import MIGRATIONS_DIR, create_app


def build_scoring(**settings: Any) -> FastAPI:
    return create_app(Settings(**settings))


database_url, service_apps, app, service, client, db = service_fixtures(
    "scoring", MIGRATIONS_DIR, build_scoring
)

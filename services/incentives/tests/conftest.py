"""Incentives on a database migrated to head: one app per test session, each test in a rolled-back transaction.

Fixtures (see `prm_kit.testing.service_fixtures`): `database_url`, `service_apps`, `app`, `service`, and its
halves `client` (signed as an admin) and `db` (a session on the test's transaction).
"""

from typing import Any

from fastapi import FastAPI
from incentives.config import Settings
from incentives.main import MIGRATIONS_DIR, create_app
from prm_kit.testing import service_fixtures

from .replica.factories import FakeRegistry


def build_incentives(**settings: Any) -> FastAPI:
    # a registry that knows every partner id; a test of unknown partners stands its own in
    return create_app(Settings(**settings), registry_transport=FakeRegistry().transport())


database_url, service_apps, app, service, client, db = service_fixtures(
    "incentives", MIGRATIONS_DIR, build_incentives
)

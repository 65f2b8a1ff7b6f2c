"""`prm migrate`: each service's database created if missing and upgraded to the head of its migrations."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from prm_kit.db.engine import make_engine
from prm_kit.migrations import current_revision, ensure_database, head_revision, upgrade
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from prm_cli.config import CliSettings, service_settings
from prm_cli.console import console
from prm_cli.errors import UserFixable
from prm_cli.services import ALL, Service


@dataclass(frozen=True)
class Migrated:
    service: str
    database: str  # the URL without its password
    revision: str | None


class NotMigrated(UserFixable):
    def __init__(self, service: str, revision: str | None, head: str | None) -> None:
        super().__init__(
            f"the {service} database is at {revision or 'no revision'}, the code expects {head}: "
            f"run `prm migrate --service {service}`"
        )


class SharedDatabase(UserFixable):
    """Two services would migrate one database: each keeps its own revision in it, so the second fails half
    way (a revision it does not know) after the first has built its tables there."""

    def __init__(self, first: str, second: str, url: str) -> None:
        super().__init__(
            f"{first} and {second} would share the database {url}: put {{service}} in PRM_DATABASE_URL "
            "(e.g. postgresql+asyncpg://prm@db/prm_{service}) or give each its own PRM_<SERVICE>_DATABASE_URL; "
            "nothing was migrated",
        )


def refuse_shared_databases(settings: CliSettings) -> None:
    """Every service's database is its own (ARCHITECTURE: a database per service), checked before any is
    migrated."""
    owner: dict[str, str] = {}
    for service in ALL:
        url = service_settings(service, settings).effective_database_url
        if url in owner:
            raise SharedDatabase(owner[url], service.name, safe_url(url))
        owner[url] = service.name


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def migrate(service: Service, settings: CliSettings) -> Migrated:
    url = service_settings(service, settings).effective_database_url
    migrations_dir = service.migrations_dir()
    await ensure_database(url)
    engine = make_engine(url)
    try:
        await upgrade(engine, migrations_dir)
    finally:
        await engine.dispose()
    return Migrated(service.name, safe_url(url), head_revision(migrations_dir))


def migrate_and_report(chosen: Sequence[Service], settings: CliSettings) -> None:
    """Migrate each service in turn, printing one line per service as it is done."""
    refuse_shared_databases(settings)
    for service in chosen:
        migrated = asyncio.run(migrate(service, settings))
        console.print(
            f"[green]✓[/] {migrated.service:<10} at {migrated.revision or 'base'}  [dim]{migrated.database}[/]",
            soft_wrap=True,
        )


async def require_head(engine: AsyncEngine, service: str, migrations_dir: Path) -> None:
    """Refuse to work on a database the code's migrations have not reached."""
    async with engine.connect() as connection:
        revision = await connection.run_sync(current_revision)
    head = head_revision(migrations_dir)
    if revision != head:
        raise NotMigrated(service, revision, head)

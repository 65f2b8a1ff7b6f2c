"""Alembic per service: one env.py body for all of them, and the programmatic upgrade/downgrade/check."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, make_url, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from prm_kit.db.engine import make_engine


def alembic_config(migrations_dir: Path, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision(migrations_dir: Path) -> str | None:
    return ScriptDirectory.from_config(alembic_config(migrations_dir)).get_current_head()


def known_revisions(migrations_dir: Path) -> frozenset[str]:
    """Every revision the code's migrations hold: one the database is at but the code does not know was made
    by a newer release."""
    script = ScriptDirectory.from_config(alembic_config(migrations_dir))
    return frozenset(revision.revision for revision in script.walk_revisions())


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(engine: AsyncEngine, migrations_dir: Path, revision: str = "head") -> None:
    await _run(engine, migrations_dir, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(engine: AsyncEngine, migrations_dir: Path, revision: str = "base") -> None:
    await _run(engine, migrations_dir, lambda cfg: command.downgrade(cfg, revision))


async def _run(engine: AsyncEngine, migrations_dir: Path, action: Any) -> None:
    config = alembic_config(migrations_dir)

    def in_connection(connection: Connection) -> None:
        config.attributes["connection"] = connection
        action(config)

    async with engine.begin() as connection:
        await connection.run_sync(in_connection)


async def ensure_database(url: str) -> None:
    """Create the service's database (PostgreSQL) or its folder (SQLite) if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return
    name = parsed.database
    admin = create_async_engine(
        parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=pool.NullPool
    )
    try:
        async with admin.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    config = context.config
    connection = config.attributes.get("connection")
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True
        )
        with context.begin_transaction():
            context.run_migrations()
    elif connection is not None:
        _migrate(connection, target_metadata)
    else:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no database url: run migrations through `prm migrate`")
        asyncio.run(_migrate_with_new_engine(url, target_metadata))


def _migrate(connection: Connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _migrate_with_new_engine(url: str, target_metadata: MetaData) -> None:
    # the kit's engine, so that SQLite gets the functions its indexes are built with (prm_kit.db.engine)
    engine = make_engine(url, pooled=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_migrate, target_metadata)
    finally:
        await engine.dispose()


# Made by the kit's helpers in each service's migrations and described by the kit, not by its models.
KIT_TABLES = frozenset({"outbox_event", "outbox_dead_letter", "inbox_event", "idempotency_record"})


def migration_heads(migrations_dir: Path) -> list[str]:
    """Every head of a service's migrations (one, unless two branches need merging)."""
    heads: list[str] = ScriptDirectory.from_config(alembic_config(migrations_dir)).get_heads()
    return heads


def model_differences(connection: Connection, metadata: MetaData) -> list[Any]:
    """What autogenerate would write into a new migration of a database at head: nothing, when a service's
    models and its migrations agree (the kit's own tables left out)."""
    migration_context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_name": lambda name, kind, _parents: kind != "table" or name not in KIT_TABLES,
        },
    )
    return list(compare_metadata(migration_context, metadata))

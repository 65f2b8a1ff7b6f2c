"""Every service's migrations build its schema on an empty database and take it all down again.

Runs on the backend PRM_TEST_DB chooses (SQLite by default, PostgreSQL with `PRM_TEST_DB=postgresql`).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from prm_kit.db.engine import make_engine
from prm_kit.migrations import (
    alembic_config,
    current_revision,
    downgrade,
    ensure_database,
    head_revision,
    upgrade,
)
from prm_kit.testing import drop_database, fresh_database_url
from sqlalchemy.ext.asyncio import AsyncEngine

# service folder -> its Python package; each has `<package>.main.MIGRATIONS_DIR` and `<package>.db.Base`
SERVICES = {
    "partner-registry": "partner_registry",
    "scoring": "scoring",
    "incentives": "incentives",
    "analytics": "analytics",
    "gateway": "gateway",
}
WITH_OUTBOX = ["partner-registry", "scoring", "incentives", "analytics"]
OUTBOX_TABLES = {"outbox_event", "inbox_event"}


def migrations_dir_of(service: str) -> Path:
    """Imported, not skipped: a service without `main.MIGRATIONS_DIR` must fail here, loudly."""
    package = SERVICES[service]
    try:
        main = importlib.import_module(f"{package}.main")
        migrations_dir: Path = main.MIGRATIONS_DIR
    except (ImportError, AttributeError) as exc:
        pytest.fail(
            f"{service}: {package}.main.MIGRATIONS_DIR is missing, so its migrations are untested ({exc!r})"
        )
    return migrations_dir


def model_tables_of(service: str) -> set[str]:
    """The tables the service's ORM declares (its env.py, run by the upgrade, imports every model)."""
    metadata: sa.MetaData = importlib.import_module(f"{SERVICES[service]}.db").Base.metadata
    return set(metadata.tables)


async def tables_in(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        names: list[str] = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
    return set(names)


async def revision_of(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        revision: str | None = await connection.run_sync(current_revision)
    return revision


@pytest_asyncio.fixture
async def empty_database(tmp_path: Path) -> AsyncIterator[str]:
    url = fresh_database_url("migrations", tmp_path)
    await ensure_database(url)
    try:
        yield url
    finally:
        await drop_database(url)


@pytest.mark.asyncio
@pytest.mark.parametrize("service", list(SERVICES))
async def test_migrations_build_the_schema_and_take_it_down_again(service: str, empty_database: str) -> None:
    migrations_dir = migrations_dir_of(service)
    engine = make_engine(empty_database)
    try:
        await upgrade(engine, migrations_dir)
        at_head, revision_at_head = await tables_in(engine), await revision_of(engine)
        await downgrade(engine, migrations_dir)
        at_base, revision_at_base = await tables_in(engine), await revision_of(engine)
        # and up again: the downgrade left nothing behind that would stand in the way
        await upgrade(engine, migrations_dir)
        at_head_again = await tables_in(engine)
    finally:
        await engine.dispose()

    expected = model_tables_of(service) | (OUTBOX_TABLES if service in WITH_OUTBOX else set())
    assert revision_at_head is not None
    assert revision_at_head == head_revision(migrations_dir)
    assert at_head - {"alembic_version"}, f"{service}: the migrations create no table"
    assert expected <= at_head, f"{service}: tables missing after upgrade: {sorted(expected - at_head)}"
    assert at_base == {"alembic_version"}
    assert revision_at_base is None
    assert at_head_again == at_head


@pytest.mark.asyncio
@pytest.mark.parametrize("service", WITH_OUTBOX)
async def test_the_outbox_has_a_partial_index_of_pending_events(service: str, empty_database: str) -> None:
    engine = make_engine(empty_database)
    try:
        await upgrade(engine, migrations_dir_of(service))
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                definition = await connection.scalar(
                    sa.text(
                        "SELECT indexdef FROM pg_indexes WHERE tablename = 'outbox_event' AND indexname = :name"
                    ),
                    {"name": "ix_outbox_event_pending"},
                )
            else:
                definition = await connection.scalar(
                    sa.text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"),
                    {"name": "ix_outbox_event_pending"},
                )
    finally:
        await engine.dispose()

    assert definition is not None, f"{service}: no ix_outbox_event_pending index"
    assert "(next_attempt_at)" in definition
    # PostgreSQL renders the predicate as "WHERE (delivered_at IS NULL)", SQLite keeps it as written
    assert "WHERE (delivered_at IS NULL)" in definition or "WHERE delivered_at IS NULL" in definition


def test_each_services_revision_ids_are_its_own_name_and_a_number() -> None:
    """/readyz tells a newer release's revision (`scoring0014`, serving on) from another service's database
    (`registry0011`, not ready) by this prefix (`prm_kit.health`)."""
    prefixes: dict[str, str] = {}
    for service in SERVICES:
        script = ScriptDirectory.from_config(alembic_config(migrations_dir_of(service)))
        ids = [revision.revision for revision in script.walk_revisions()]
        (prefix,) = {re.fullmatch(r"([a-z]+)\d{4}", revision_id).group(1) for revision_id in ids}  # type: ignore[union-attr]
        prefixes[service] = prefix
    assert len(set(prefixes.values())) == len(prefixes), prefixes

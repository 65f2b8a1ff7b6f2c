"""The migrations build exactly what the models declare, and they have one head the database is at."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from incentives.main import MIGRATIONS_DIR
from incentives.models import Base
from prm_kit.db.engine import make_engine
from prm_kit.migrations import alembic_config, current_revision

pytestmark = pytest.mark.asyncio

# Created by the kit's helpers in the first migration and described by the kit, not by this service's models.
KIT_TABLES = frozenset({"outbox_event", "inbox_event", "idempotency_record"})


def differences(connection: sa.Connection) -> list[object]:
    """What autogenerate would write into a new migration: nothing, when models and migrations agree."""
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_name": lambda name, kind, _parents: kind != "table" or name not in KIT_TABLES,
        },
    )
    return list(compare_metadata(context, Base.metadata))


async def test_the_models_and_the_migrations_agree(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(differences)
    finally:
        await engine.dispose()

    assert found == [], (
        "the models differ from the migrations; write a migration (alembic revision --autogenerate)"
    )


async def test_the_database_is_at_the_one_head_of_the_migrations(database_url: str) -> None:
    heads = ScriptDirectory.from_config(alembic_config(Path(MIGRATIONS_DIR))).get_heads()
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            revision = await connection.run_sync(current_revision)
    finally:
        await engine.dispose()

    assert len(heads) == 1, f"the migrations have several heads, merge them: {heads}"
    assert revision == heads[0]

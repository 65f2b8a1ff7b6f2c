"""The migrations build exactly what the models declare, and they have one head the database is at."""

import pytest
from prm_kit.db.engine import make_engine
from prm_kit.migrations import current_revision, migration_heads, model_differences
from scoring.main import MIGRATIONS_DIR
from scoring.models import Base

pytestmark = pytest.mark.asyncio


async def test_the_models_and_the_migrations_agree(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(model_differences, Base.metadata)
    finally:
        await engine.dispose()

    assert found == [], (
        "the models differ from the migrations; write a migration (alembic revision --autogenerate)"
    )


async def test_the_database_is_at_the_one_head_of_the_migrations(database_url: str) -> None:
    heads = migration_heads(MIGRATIONS_DIR)
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            revision = await connection.run_sync(current_revision)
    finally:
        await engine.dispose()

    assert len(heads) == 1, f"the migrations have several heads, merge them: {heads}"
    assert revision == heads[0]

"""The migrations build exactly what the models declare, and they have one head the database is at."""

from pathlib import Path
from uuid import uuid4

import pytest
import sqlalchemy as sa
from analytics.main import MIGRATIONS_DIR
from analytics.models import Base
from prm_kit.db.engine import make_engine
from prm_kit.migrations import current_revision, migration_heads, model_differences, upgrade
from sqlalchemy.exc import IntegrityError

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


_DAILY_ROW = (
    "INSERT INTO sales_daily_rollup (partner_id, day, product_category, currency, gross_amount, returns_amount, "
    "costed_amount, cost_amount, sold_quantity, returned_quantity, line_count, sale_line_count, "
    "return_line_count, costed_line_count) VALUES (:partner, '2026-06-15', 'networking', 'EUR', :gross, 0, 0, 0, "
    "10000, 0, 1, 1, 0, 0)"
)


@pytest.mark.backend_independent
async def test_on_sqlite_the_rollups_sums_must_stay_integers_and_inexact_ones_stop_the_migration(
    tmp_path: Path,
) -> None:
    exact = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'exact.db'}")
    inexact = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'inexact.db'}")
    try:
        for engine, gross in ((exact, 3_000_000), (inexact, 1.1e19)):  # 300.0000; a sum SQLite made a REAL
            await upgrade(engine, MIGRATIONS_DIR, "analytics0013")
            async with engine.begin() as connection:
                await connection.execute(sa.text(_DAILY_ROW), {"partner": uuid4().hex, "gross": gross})
        await upgrade(exact, MIGRATIONS_DIR)
        with pytest.raises(RuntimeError, match="sales_daily_rollup already holds totals past what SQLite"):
            await upgrade(inexact, MIGRATIONS_DIR)

        async with exact.connect() as connection:
            kept = await connection.scalar(sa.text("SELECT gross_amount FROM sales_daily_rollup"))
            with pytest.raises(IntegrityError, match="ck_sales_daily_rollup_exact_gross_amount"):
                await connection.execute(sa.text("UPDATE sales_daily_rollup SET gross_amount = 1.1e19"))
        assert kept == 3_000_000  # copied into the checked table as it was
    finally:
        await exact.dispose()
        await inexact.dispose()


@pytest.mark.backend_independent
async def test_the_replica_gets_the_market_region_key_of_each_partner_it_already_has(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'replica.db'}")
    regions = {uuid4(): "UK & Ireland", uuid4(): "  north   america ", uuid4(): None}
    try:
        await upgrade(engine, MIGRATIONS_DIR, "analytics0014")
        async with engine.begin() as connection:
            for partner_id, region in regions.items():
                await connection.execute(
                    sa.text(
                        "INSERT INTO partner_dimension (partner_id, region, updated_at) "
                        "VALUES (:partner, :region, '2026-12-01 00:00:00')"
                    ),
                    {"partner": partner_id.hex, "region": region},
                )
        await upgrade(engine, MIGRATIONS_DIR)
        async with engine.connect() as connection:
            keys = dict(
                (
                    await connection.execute(sa.text("SELECT region, market_region FROM partner_dimension"))
                ).all()
            )
    finally:
        await engine.dispose()
    assert keys == {"UK & Ireland": "UK & IRELAND", "  north   america ": "NORTH AMERICA", None: None}

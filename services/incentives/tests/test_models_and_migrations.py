"""The migrations build exactly what the models declare, and they have one head the database is at."""

import json
from pathlib import Path
from uuid import uuid4

import pytest
import sqlalchemy as sa
from incentives.main import MIGRATIONS_DIR
from incentives.models import Base
from prm_kit.db.engine import make_engine
from prm_kit.migrations import current_revision, migration_heads, model_differences, upgrade

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


@pytest.mark.backend_independent
async def test_rates_stored_in_looser_spellings_are_rewritten_as_the_document_writes_them(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'rates.db'}")
    rules = [
        {"kind": "rebate", "rate": "-0"},
        {"kind": "mdf_accrual", "rate": "0.0300000000"},
        {"kind": "volume_bonus", "bands": [{"from": "0", "to": None, "rate": "00.5"}]},
        {"kind": "accelerator", "threshold": "1.2", "rate": "0.10"},  # as documented: kept as written
    ]
    try:
        await upgrade(engine, MIGRATIONS_DIR, "incentives0017")
        async with engine.begin() as connection:
            programme = uuid4().hex
            await connection.execute(
                sa.text(
                    "INSERT INTO programme (id, name, currency, period_type, created_by, created_at, updated_at) "
                    "VALUES (:id, 'p', 'EUR', 'quarter', 'key:x', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {"id": programme},
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO programme_version (id, programme_id, number, status, effective_from, basis, "
                    "hold_days, eligibility, rules, created_by, version, created_at, updated_at) VALUES (:id, "
                    ":programme, 1, 'draft', '2026-01-01', 'invoiced', 0, '{}', :rules, 'key:x', 1, "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {"id": uuid4().hex, "programme": programme, "rules": json.dumps(rules)},
            )
        await upgrade(engine, MIGRATIONS_DIR)
        async with engine.connect() as connection:
            stored = json.loads(await connection.scalar(sa.text("SELECT rules FROM programme_version")))
    finally:
        await engine.dispose()
    assert stored == [
        {"kind": "rebate", "rate": "0"},
        {"kind": "mdf_accrual", "rate": "0.03"},
        {"kind": "volume_bonus", "bands": [{"from": "0", "to": None, "rate": "0.5"}]},
        {"kind": "accelerator", "threshold": "1.2", "rate": "0.10"},
    ]


@pytest.mark.backend_independent
async def test_the_profiles_held_get_the_key_their_region_is_compared_by(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'regions.db'}")
    regions = {uuid4(): "UK &  Ireland", uuid4(): "EMEA", uuid4(): None}
    try:
        await upgrade(engine, MIGRATIONS_DIR, "incentives0018")
        async with engine.begin() as connection:
            for partner_id, region in regions.items():
                await connection.execute(
                    sa.text(
                        "INSERT INTO partner_profile (partner_id, region, as_of) "
                        "VALUES (:id, :region, '2026-01-01 00:00:00')"
                    ),
                    {"id": partner_id.hex, "region": region},
                )
        await upgrade(engine, MIGRATIONS_DIR)
        async with engine.connect() as connection:
            rows = await connection.execute(sa.text("SELECT partner_id, region_key FROM partner_profile"))
            stored = {str(partner_id).replace("-", ""): key for partner_id, key in rows.all()}
    finally:
        await engine.dispose()
    assert stored == {
        partner_id.hex: key for partner_id, key in zip(regions, ["uk & ireland", "emea", None], strict=True)
    }

"""`plan_with_values`: the rest of the transaction's prepared statements are planned with their values."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from prm_kit.db.core import plan_with_values
from prm_kit.db.engine import make_engine
from prm_kit.testing import postgres_admin_url
from sqlalchemy.ext.asyncio import AsyncSession

pytestmark = [pytest.mark.asyncio, pytest.mark.postgresql_pass]

QUERY = "SELECT count(*) FROM kit_probe_plans WHERE k = :k AND n > :n"


async def _plans_of_eight_runs(*, with_values: bool) -> tuple[int, int]:
    """(generic, custom) plans PostgreSQL made for a prepared statement run eight times in one transaction."""
    engine = make_engine(postgres_admin_url(), pooled=False)
    try:
        async with AsyncSession(engine) as session:
            await session.execute(
                sa.text(
                    "CREATE TEMP TABLE kit_probe_plans AS SELECT g AS n, g % 3 AS k FROM generate_series(1, 10000) g"
                )
            )
            await session.execute(sa.text("ANALYZE kit_probe_plans"))
            if with_values:
                await plan_with_values(session)
            for n in range(8):
                await session.execute(sa.text(QUERY), {"k": 1, "n": n})
            counts: Any = (
                await session.execute(
                    sa.text(
                        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                        "WHERE statement LIKE 'SELECT count(*) FROM kit_probe_plans%'"
                    )
                )
            ).one()
            await session.rollback()
    finally:
        await engine.dispose()
    return counts.generic_plans, counts.custom_plans


async def test_after_plan_with_values_no_run_gets_a_generic_plan() -> None:
    assert await _plans_of_eight_runs(with_values=True) == (0, 8)


async def test_without_it_postgresql_switches_to_a_generic_plan_after_five_runs() -> None:
    generic, custom = await _plans_of_eight_runs(with_values=False)
    assert generic > 0
    assert custom == 5

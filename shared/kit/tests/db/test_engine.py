"""The PostgreSQL engine plans every run of a prepared statement with its values (`prm_kit.db.engine`)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from prm_kit.db.engine import make_engine
from prm_kit.testing import postgres_admin_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

pytestmark = [pytest.mark.asyncio, pytest.mark.postgresql_pass]

QUERY = "SELECT count(*) FROM kit_probe_plans WHERE k = :k AND n > :n"


async def _plans_of_eight_runs(engine: AsyncEngine) -> tuple[int, int]:
    """(generic, custom) plans PostgreSQL made for a prepared statement run eight times."""
    async with engine.connect() as connection:
        await connection.execute(
            sa.text(
                "CREATE TEMP TABLE kit_probe_plans AS SELECT g AS n, g % 3 AS k FROM generate_series(1, 10000) g"
            )
        )
        await connection.execute(sa.text("CREATE INDEX ON kit_probe_plans (k)"))
        await connection.execute(sa.text("ANALYZE kit_probe_plans"))
        for n in range(8):
            await connection.execute(sa.text(QUERY), {"k": 1, "n": n})
        counts: Any = (
            await connection.execute(
                sa.text(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                    "WHERE statement LIKE 'SELECT count(*) FROM kit_probe_plans%'"
                )
            )
        ).one()
    await engine.dispose()
    return counts.generic_plans, counts.custom_plans


async def test_prepared_statements_never_fall_to_a_generic_plan() -> None:
    """After five runs PostgreSQL may plan a prepared statement once without its values, and a range then
    gets a guess (a few rows) instead of its real size."""
    assert await _plans_of_eight_runs(make_engine(postgres_admin_url())) == (0, 8)
    # what the setting prevents: PostgreSQL's own default switches to the generic plan
    default = create_async_engine(postgres_admin_url())
    generic, custom = await _plans_of_eight_runs(default)
    assert generic > 0
    assert custom == 5

"""SQL lower() folds every letter on SQLite as on PostgreSQL, so a case-insensitive comparison written once
answers the same on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from prm_kit.db.engine import make_engine

pytestmark = [pytest.mark.asyncio, pytest.mark.backend_independent]


async def test_lower_folds_non_ascii_letters_and_serves_an_expression_index(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'lower.db'}")
    try:
        async with engine.begin() as connection:
            folded = await connection.scalar(sa.text("SELECT lower('ÖRESUND Ärger ÉCLAIR Straße')"))
            null = await connection.scalar(sa.text("SELECT lower(NULL)"))
            # an index on lower(...) needs a deterministic function (SQLite refuses the write otherwise)
            await connection.execute(sa.text("CREATE TABLE firm (name TEXT)"))
            await connection.execute(sa.text("CREATE INDEX ix_firm_name ON firm (lower(name))"))
            await connection.execute(sa.text("INSERT INTO firm VALUES ('Öresund Partners'), ('ärger')"))
            found = await connection.scalars(
                sa.text("SELECT name FROM firm WHERE lower(name) LIKE '%öresund%' OR lower(name) = 'ärger'")
            )
            names = sorted(found.all())
    finally:
        await engine.dispose()

    assert folded == "öresund ärger éclair straße"
    assert null is None
    assert names == ["Öresund Partners", "ärger"]

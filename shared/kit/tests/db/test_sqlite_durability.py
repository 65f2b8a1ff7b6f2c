"""The embedded SQLite database keeps what a 2xx reported: WAL, synced at each commit."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from prm_kit.db.engine import make_engine

pytestmark = [pytest.mark.asyncio, pytest.mark.backend_independent]

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


async def test_each_connection_syncs_the_wal_at_every_commit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'durable.db'}")
    try:
        async with engine.connect() as connection:
            synchronous = await connection.scalar(sa.text("PRAGMA synchronous"))
            journal_mode = await connection.scalar(sa.text("PRAGMA journal_mode"))
    finally:
        await engine.dispose()

    assert (synchronous, journal_mode) == (FULL, "wal")

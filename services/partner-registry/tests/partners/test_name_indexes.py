"""The name indexes on lower(...) on SQLite: built by the Unicode-aware lower() the kit registers, and rebuilt
with it (registry0011) in a database written before it was registered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from partner_registry.main import MIGRATIONS_DIR
from partner_registry.partners.models import Partner
from prm_kit.db.engine import make_engine
from prm_kit.migrations import upgrade
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

# its own SQLite file whatever the backend of the pass: the rebuild is SQLite's alone
pytestmark = [pytest.mark.asyncio, pytest.mark.backend_independent]


def _partner(name: str) -> dict[str, object]:
    now = datetime(2026, 7, 1, tzinfo=UTC)
    return {
        "id": uuid.uuid4(),
        "legal_name": name,
        "display_name": name,
        "partner_type": "reseller",
        "status": "prospect",
        "status_changed_at": now,
        "country": "SE",
        "segments_served": [],
        "custom_attributes": {},
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def _integrity(connection: Connection) -> list[str]:
    return [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]


async def test_a_database_written_with_sqlites_own_lower_is_reindexed_and_stays_writable(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"
    before = create_async_engine(url)  # as every process before the kit registered lower()
    try:
        await upgrade(before, MIGRATIONS_DIR, "registry0010")
        async with before.begin() as connection:
            await connection.execute(sa.insert(Partner), [_partner("Öresund Partners"), _partner("Zebra AB")])
    finally:
        await before.dispose()

    engine = make_engine(url, pooled=False)
    try:
        await upgrade(engine, MIGRATIONS_DIR)
        async with engine.begin() as connection:
            integrity = await connection.run_sync(_integrity)
            # the index of the sort finds the name by its Unicode lower-case form
            found = await connection.scalar(
                sa.select(Partner.display_name).where(
                    sa.func.lower(Partner.display_name) == "öresund partners"
                )
            )
            # writing the row rewrites its index entries: found where the registered lower() looks for them
            await connection.execute(
                sa.update(Partner)
                .where(Partner.display_name == "Öresund Partners")
                .values(display_name="Östersund Partners")
            )
            after = await connection.run_sync(_integrity)
    finally:
        await engine.dispose()

    assert integrity == ["ok"]
    assert found == "Öresund Partners"
    assert after == ["ok"]

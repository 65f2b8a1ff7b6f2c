"""`maintain_partitions` on real PostgreSQL: upcoming months created (lines in DEFAULT moved in first),
expired ones detached or dropped; on SQLite, nothing to do. Runs in the test's rolled-back transaction (DDL
is transactional in PostgreSQL), so the shared database keeps its partitions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from analytics.sales.models import PARTITION_SCHEMA, SalesLine
from analytics.sales_partitions.maintenance import maintain_partitions
from prm_kit import testing as kit_testing
from sqlalchemy.ext.asyncio import AsyncSession

pytestmark = pytest.mark.asyncio


async def _a_line(db: AsyncSession, occurred_on: date) -> UUID:
    line_id = uuid4()
    values = {
        "id": line_id,
        "occurred_on": occurred_on,
        "partner_id": uuid4(),
        "external_id": f"P-{line_id}",
        "kind": "sale",
        "payment_status": "paid",
        "customer_key": "name:globex|",
        "customer_name": "Globex",
        "product_sku": "NET-100",
        "product_category": "networking",
        "quantity": 1,
        "unit_price": 10,
        "amount": 10,
        "currency": "EUR",
        "webhook_id": "msg_partitions",
        "received_at": datetime.now(UTC),
    }
    await db.execute(sa.insert(SalesLine).values(**values))
    return line_id


async def _partition_of(db: AsyncSession, line_id: UUID) -> str | None:
    name = await db.scalar(
        sa.text("SELECT tableoid::regclass::text FROM sales_line WHERE id = :id"), {"id": line_id}
    )
    return None if name is None else str(name).rsplit(".", 1)[-1]


async def _attached(db: AsyncSession) -> set[str]:
    rows = await db.execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'sales_line'::regclass"
        )
    )
    return {name for (name,) in rows}


async def _exists(db: AsyncSession, name: str) -> bool:
    return bool(
        await db.scalar(
            sa.text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f"{PARTITION_SCHEMA}.{name}"}
        )
    )


@pytest.mark.postgres_only
@pytest.mark.skipif(kit_testing.test_backend() != "postgresql", reason="partitions exist on PostgreSQL only")
async def test_upcoming_months_are_created_with_their_lines_moved_out_of_default_and_old_ones_detached(
    db: AsyncSession,
) -> None:
    # far past the migration's window (24 months after it ran): these months fall into DEFAULT today
    early = await _a_line(db, date(2031, 7, 10))
    later = await _a_line(db, date(2031, 9, 1))
    assert await _partition_of(db, early) == "sales_line_default"
    old_months = {name for name in await _attached(db) if name < "sales_line_2028_06"}
    assert old_months  # the migration's window starts in January of the year before it ran
    connection = await db.connection()

    report = await maintain_partitions(
        connection, today=date(2031, 6, 20), months_ahead=2, retention_months=36
    )

    assert report.created == ["sales_line_2031_06", "sales_line_2031_07", "sales_line_2031_08"]
    assert report.moved_rows == {"sales_line_2031_07": 1}
    assert await _partition_of(db, early) == "sales_line_2031_07"
    assert await _partition_of(db, later) == "sales_line_default"  # September is beyond months_ahead
    # 36 months before June 2031 is June 2028: every partition before it is detached, kept as a table
    assert set(report.detached) == old_months
    attached = await _attached(db)
    assert not attached & old_months
    assert {"sales_line_2028_06", "sales_line_2031_08", "sales_line_default"} <= attached
    assert all([await _exists(db, name) for name in old_months])

    again = await maintain_partitions(
        connection, today=date(2031, 6, 20), months_ahead=2, retention_months=36
    )

    assert (again.created, again.detached, again.moved_rows) == ([], [], {})


@pytest.mark.postgres_only
@pytest.mark.skipif(kit_testing.test_backend() != "postgresql", reason="partitions exist on PostgreSQL only")
async def test_with_drop_expired_partitions_and_their_lines_are_gone(db: AsyncSession) -> None:
    month = min(name for name in await _attached(db) if name != "sales_line_default")
    year, number = int(month[11:15]), int(month[16:18])
    old = await _a_line(db, date(year, number, 5))
    connection = await db.connection()

    report = await maintain_partitions(
        connection, today=date(year, number, 1), months_ahead=0, retention_months=1, drop=False
    )
    assert report.detached == []  # nothing ends before the month a month ago
    report = await maintain_partitions(
        connection, today=date(year + 5, number, 1), months_ahead=0, retention_months=59, drop=True
    )  # 59 months before: the month after the oldest partition

    assert month in report.dropped
    assert not await _exists(db, month)
    assert await _partition_of(db, old) is None


async def test_on_sqlite_there_is_nothing_to_do(db: AsyncSession) -> None:
    if kit_testing.test_backend() != "sqlite":
        pytest.skip("the SQLite answer")
    report = await maintain_partitions(await db.connection(), today=date(2031, 6, 20), months_ahead=3)

    assert report.created == []
    assert report.note is not None
    assert "plain table" in report.note

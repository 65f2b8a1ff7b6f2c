"""Column types that keep money exact and times in UTC on PostgreSQL and SQLite alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import pytest_asyncio
import sqlalchemy as sa
from prm_kit.db.engine import make_engine
from prm_kit.db.types import ExactDecimal, JSONDocument, UTCDateTime
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncConnection

metadata = sa.MetaData()
ledger_line = sa.Table(
    "kit_probe_ledger_line",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("amount", ExactDecimal(19, 4)),
    sa.Column("booked_at", UTCDateTime()),
    sa.Column("document", JSONDocument),
)


@pytest_asyncio.fixture
async def connection(kit_database_url: str) -> AsyncIterator[AsyncConnection]:
    """A connection to the test database with a throwaway table, all rolled back at the end."""
    engine = make_engine(kit_database_url)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            await connection.run_sync(metadata.create_all)
            yield connection
            await transaction.rollback()
    finally:
        await engine.dispose()


async def store(connection: AsyncConnection, **values: object) -> sa.Row[tuple[object, ...]]:
    new_id = await connection.scalar(sa.insert(ledger_line).values(**values).returning(ledger_line.c.id))
    return (await connection.execute(sa.select(ledger_line).where(ledger_line.c.id == new_id))).one()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ("0.1", "0.1000"),
        ("-3.25", "-3.2500"),
        ("0", "0.0000"),
        ("0.0001", "0.0001"),
        ("123456789012345.1234", "123456789012345.1234"),
        ("-922337203685477.5807", "-922337203685477.5807"),  # the smallest amount SQLite's integers hold
    ],
)
async def test_an_amount_comes_back_exactly_at_the_column_scale(
    connection: AsyncConnection, stored: str, read: str
) -> None:
    row = await store(connection, amount=Decimal(stored))

    assert isinstance(row.amount, Decimal)
    assert str(row.amount) == read


@pytest.mark.asyncio
async def test_sql_sum_of_amounts_is_exact(connection: AsyncConnection) -> None:
    await store(connection, amount=Decimal("0.1"))
    await store(connection, amount=Decimal("0.2"))

    total = await connection.scalar(sa.select(sa.func.sum(ledger_line.c.amount)))

    # 0.1 + 0.2 = 1000 + 2000 ten-thousandths = 3000 ten-thousandths; a float column would give 0.30000000000000004
    assert isinstance(total, Decimal)
    assert str(total) == "0.3000"


@pytest.mark.asyncio
async def test_many_small_amounts_sum_without_drift(connection: AsyncConnection) -> None:
    await connection.execute(sa.insert(ledger_line), [{"amount": Decimal("0.0001")}] * 1000)
    await connection.execute(sa.insert(ledger_line), [{"amount": Decimal("-33.3333")}] * 3)

    total = await connection.scalar(sa.select(sa.func.sum(ledger_line.c.amount)))

    # 1000 x 0.0001 = 0.1000; 3 x -33.3333 = -99.9999; together -99.8999
    assert str(total) == "-99.8999"


@pytest.mark.asyncio
@pytest.mark.parametrize("amount", ["0.12345", "-1.00001", "0.00005"])
async def test_an_amount_with_more_places_than_the_scale_is_refused_not_rounded(
    connection: AsyncConnection, amount: str
) -> None:
    with pytest.raises(StatementError, match="has more than 4 decimal places"):
        await connection.execute(sa.insert(ledger_line).values(amount=Decimal(amount)))


@pytest.mark.asyncio
async def test_a_float_that_slipped_through_is_refused_not_stored_inexactly(
    connection: AsyncConnection,
) -> None:
    # the float 0.1 is really 0.1000000000000000055511151231257827...
    with pytest.raises(StatementError, match="has more than 4 decimal places"):
        await connection.execute(sa.insert(ledger_line).values(amount=0.1))


@pytest.mark.asyncio
@pytest.mark.parametrize("amount", ["1000000000000000", "-1234567890123456.5"])
async def test_an_amount_beyond_the_column_precision_is_refused(
    connection: AsyncConnection, amount: str
) -> None:
    with pytest.raises(StatementError, match=r"does not fit NUMERIC\(19, 4\)"):
        await connection.execute(sa.insert(ledger_line).values(amount=Decimal(amount)))


@pytest.mark.asyncio
async def test_the_largest_amount_is_stored_or_refused_clearly_depending_on_the_backend(
    connection: AsyncConnection,
) -> None:
    largest = Decimal("999999999999999.9999")  # the largest NUMERIC(19, 4), and the largest Money amount
    if connection.dialect.name == "sqlite":
        # SQLite keeps amounts as 64-bit integers of ten-thousandths: up to 922337203685477.5807
        with pytest.raises(StatementError, match="beyond what SQLite stores exactly"):
            await connection.execute(sa.insert(ledger_line).values(amount=largest))
    else:
        row = await store(connection, amount=largest)
        assert row.amount == largest


@pytest.mark.asyncio
async def test_a_time_comes_back_aware_and_in_utc(connection: AsyncConnection) -> None:
    paris_summer = timezone(timedelta(hours=2))
    booked = datetime(2026, 7, 1, 14, 30, 15, 123456, tzinfo=paris_summer)

    row = await store(connection, booked_at=booked)

    assert row.booked_at == booked
    assert row.booked_at.tzinfo is UTC
    assert row.booked_at.isoformat() == "2026-07-01T12:30:15.123456+00:00"


@pytest.mark.asyncio
async def test_times_compare_in_sql_as_instants(connection: AsyncConnection) -> None:
    early = datetime(2026, 1, 1, 23, 0, tzinfo=timezone(timedelta(hours=-5)))  # 2026-01-02 04:00 UTC
    late = datetime(2026, 1, 2, 5, 0, tzinfo=UTC)
    await store(connection, booked_at=late, amount=Decimal("2"))
    await store(connection, booked_at=early, amount=Decimal("1"))

    first = await connection.scalar(
        sa.select(ledger_line.c.amount).order_by(ledger_line.c.booked_at).limit(1)
    )
    after_cutoff = await connection.scalar(
        sa.select(sa.func.count()).where(ledger_line.c.booked_at > datetime(2026, 1, 2, 4, 30, tzinfo=UTC))
    )

    assert first == Decimal("1")
    assert after_cutoff == 1


@pytest.mark.asyncio
async def test_a_naive_time_is_refused(connection: AsyncConnection) -> None:
    with pytest.raises(StatementError, match="naive datetimes are not stored"):
        await connection.execute(sa.insert(ledger_line).values(booked_at=datetime(2026, 7, 1, 12, 0)))


@pytest.mark.asyncio
async def test_a_json_document_round_trips(connection: AsyncConnection) -> None:
    document = {
        "partner": {"name": "Acme GmbH", "tier": "gold", "tags": ["msp", "var"]},
        "scores": [1, 2.5, None, True],
        "amount": "1234.50",
        "unicode": "Zürich, 東京",
        "empty": {},
    }

    row = await store(connection, document=document)

    assert row.document == document


@pytest.mark.asyncio
async def test_nulls_stay_null(connection: AsyncConnection) -> None:
    row = await store(connection)

    assert (row.amount, row.booked_at, row.document) == (None, None, None)

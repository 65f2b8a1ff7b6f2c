"""PostgreSQL writes each value of a JSON list item as pydantic would: thousands of random timestamps and
amounts, written by the database and by pydantic (or, for amounts, by decimal arithmetic), compared."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from prm_kit.db.engine import make_engine
from prm_kit.db.json_items import amount, day, json_object, json_page, json_page_of, money, timestamp
from prm_kit.testing import postgres_admin_url
from pydantic import AwareDatetime, BaseModel, TypeAdapter
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

# PostgreSQL SQL only: run once, in the PostgreSQL pass (the server is there in every `make test`)
pytestmark = pytest.mark.postgresql_pass

SAMPLES = 2_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest_asyncio.fixture
async def connection() -> AsyncIterator[AsyncConnection]:
    engine = make_engine(postgres_admin_url(), pooled=False)
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


def _moments(rng: random.Random) -> list[datetime]:
    """Between 1000 and 2400, half of them on a whole second (pydantic then writes no fraction)."""
    moments = []
    for n in range(SAMPLES):
        seconds = rng.randrange(-30_000_000_000, 13_000_000_000)
        microseconds = 0 if n % 2 else rng.choice([1, 120, 999_999, rng.randrange(1_000_000)])
        moments.append(EPOCH + timedelta(seconds=seconds, microseconds=microseconds))
    return moments


def _amounts(rng: random.Random) -> list[Decimal]:
    """numeric(19, 4) values: 0 to 4 decimals, small and up to 15 integer digits, either sign."""
    amounts = []
    for _ in range(SAMPLES):
        places = rng.randrange(5)
        digits = rng.randrange(1, 15 + places + 1)
        units = rng.randrange(10**digits) * rng.choice([1, -1])
        amounts.append(Decimal(units).scaleb(-places))
    return amounts


def _canonical(value: Decimal) -> str:
    """The contracts' amount text, by string arithmetic: four decimals, then trailing zeros dropped down to 2."""
    text = f"{value:.4f}"
    while text[-1] == "0" and len(text.split(".")[1]) > 2:
        text = text[:-1]
    return text


async def _column(connection: AsyncConnection, values: list[Any], sql_type: Any, write: Any) -> list[Any]:
    """`write` applied by PostgreSQL to each of `values` (sent as one array), in order."""
    given = (
        sa.func.unnest(sa.bindparam("values", values, type_=postgresql.ARRAY(sql_type)))
        .table_valued("value", with_ordinality="n")
        .render_derived()
    )
    statement = sa.select(write(given.c.value)).order_by(given.c.n)
    return list((await connection.execute(statement)).scalars())


@pytest.mark.asyncio
async def test_timestamps_read_as_pydantic_writes_them(connection: AsyncConnection) -> None:
    moments = _moments(random.Random(20261202))
    written = await _column(connection, moments, sa.DateTime(timezone=True), timestamp)
    expected = [json.loads(TypeAdapter(AwareDatetime).dump_json(moment)) for moment in moments]
    assert written == expected
    assert written[1].endswith(f":{moments[1].second:02d}Z")  # a whole second: no fraction at all


@pytest.mark.asyncio
async def test_dates_read_as_pydantic_writes_them(connection: AsyncConnection) -> None:
    days = [moment.date() for moment in _moments(random.Random(7))]
    written = await _column(connection, days, sa.Date(), day)
    assert written == [json.loads(TypeAdapter(date).dump_json(value)) for value in days]


@pytest.mark.asyncio
async def test_amounts_have_two_to_four_decimals(connection: AsyncConnection) -> None:
    amounts = [*_amounts(random.Random(20261203)), Decimal("0"), Decimal("1250.5"), Decimal("0.1234")]
    written = await _column(connection, amounts, sa.Numeric(19, 4), amount)
    assert written == [_canonical(value) for value in amounts]
    assert written[-3:] == ["0.00", "1250.50", "0.1234"]


@pytest.mark.asyncio
async def test_money_is_null_unless_both_amount_and_currency_are_set(connection: AsyncConnection) -> None:
    pairs = sa.values(sa.column("a", sa.Numeric(19, 4)), sa.column("c", sa.String()), name="pairs").data(
        [(Decimal("12.3"), "EUR"), (None, "EUR"), (Decimal("1"), None)]
    )
    statement = sa.select(sa.cast(money(pairs.c.a, pairs.c.c), sa.Text()))
    written = [
        None if text is None else json.loads(text) for text in (await connection.execute(statement)).scalars()
    ]
    assert written == [{"amount": "12.30", "currency": "EUR"}, None, None]


class _Item(BaseModel):
    name: str
    at: AwareDatetime
    tags: list[str]


@pytest.mark.asyncio
async def test_an_object_reads_as_its_model_with_awkward_text(connection: AsyncConnection) -> None:
    names = ['quote " backslash \\ slash /', "tab\tnew line\n", "Ünïcødé 北京 🚀", "\u2028 \u0001"]
    at = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
    rows = sa.values(sa.column("name", sa.Text()), name="rows").data([(name,) for name in names])
    item = json_object(
        {
            "name": rows.c.name,
            "at": timestamp(sa.literal(at, sa.DateTime(timezone=True))),
            "tags": sa.func.json_build_array(rows.c.name, sa.literal_column("'x'")),
        }
    )
    texts = list((await connection.execute(sa.select(item))).scalars())
    parsed = [_Item.model_validate_json(text) for text in texts]
    assert parsed == [_Item(name=name, at=at, tags=[name, "x"]) for name in names]
    assert [json.loads(text) for text in texts] == [json.loads(model.model_dump_json()) for model in parsed]


class _Row:
    def __init__(self, item: str, key: int) -> None:
        self.item, self.key = item, key


def test_a_page_of_json_items_is_the_page_model() -> None:
    rows = [_Row(json.dumps({"n": n}), n) for n in range(4)]

    full = json.loads(json_page_of(rows, 3, cursor_of=lambda row: f"after-{row.key}"))
    last = json.loads(json_page_of(rows[:2], 3, cursor_of=lambda row: f"after-{row.key}"))

    assert full == {"items": [{"n": 0}, {"n": 1}, {"n": 2}], "next_cursor": "after-2"}
    assert last == {"items": [{"n": 0}, {"n": 1}], "next_cursor": None}
    assert json.loads(json_page([], None)) == {"items": [], "next_cursor": None}

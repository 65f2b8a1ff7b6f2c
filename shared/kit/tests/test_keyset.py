"""Keyset pages: a cursor names its list's order and the last row's (key, id); `keyset_after` continues
strictly after it, in either direction, with keys of every type a list is ordered by."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from prm_contracts.problem import UnprocessableContent
from prm_kit.pagination import (
    KeysetPosition,
    encode_cursor,
    keyset_after,
    keyset_cursor,
    keyset_order,
    keyset_position,
    page_of,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ID = uuid.UUID("6f1c1d1e-1111-4a4a-8b8b-000000000001")
metadata = sa.MetaData()
row = sa.Table(
    "row",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(20)),
    sa.Column("rank", sa.Integer()),
    sa.Column("day", sa.Date()),
)


@pytest.mark.parametrize(
    ("key", "key_type"),
    [
        ("Zürich & Söhne", str),
        (-3, int),
        (date(2026, 2, 28), date),
        (datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC), datetime),
        (datetime(2026, 11, 27, 10, tzinfo=UTC) + timedelta(hours=5) - timedelta(hours=5), datetime),
    ],
)
def test_a_cursor_gives_back_the_position_it_was_made_from(key: Any, key_type: type[Any]) -> None:
    cursor = keyset_cursor("-created_at", key, ID)

    assert keyset_position(cursor, "-created_at", key_type) == KeysetPosition(key=key, id=ID)


def test_no_cursor_is_the_first_page() -> None:
    assert keyset_position(None, "name", str) is None


@pytest.mark.parametrize(
    ("position", "key_type"),
    [
        ({"order": "name", "key": "a", "id": str(ID)}, str),  # another order
        ({"order": "-created_at", "key": "a", "id": "not-a-uuid"}, str),
        ({"order": "-created_at", "key": 5, "id": str(ID)}, str),  # keys are always text in our cursors
        ({"order": "-created_at", "key": "2026-11-27T10:00:00", "id": str(ID)}, datetime),  # no timezone
        ({"order": "-created_at", "key": "10000-01-01T00:00:00+00:00", "id": str(ID)}, datetime),
        ({"order": "-created_at", "key": "yesterday", "id": str(ID)}, date),
        ({"order": "-created_at", "key": "1.5", "id": str(ID)}, int),
        ({"order": "-created_at", "key": "٣", "id": str(ID)}, int),  # a digit, but not an ASCII one
        ({"order": "-created_at", "id": str(ID)}, str),
    ],
)
def test_a_cursor_of_another_list_or_a_forged_key_is_422(
    position: dict[str, Any], key_type: type[Any]
) -> None:
    with pytest.raises(UnprocessableContent) as caught:
        keyset_position(encode_cursor(position), "-created_at", key_type)

    [issue] = caught.value.errors or []
    assert issue.loc == ["query", "cursor"]
    assert issue.type == "cursor_invalid"


def test_a_page_shows_limit_rows_and_a_cursor_only_when_more_were_found() -> None:
    full = page_of([1, 2, 3, 4], 3, out=str, cursor_of=lambda n: f"after {n}")
    last = page_of([1, 2], 3, out=str, cursor_of=lambda n: f"after {n}")

    assert (full.items, full.next_cursor) == (["1", "2", "3"], "after 3")
    assert (last.items, last.next_cursor) == (["1", "2"], None)


@pytest_asyncio.fixture
async def engine() -> Any:
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


# Ties on the key are what the id is for: several rows share a name, a rank and a day.
ROWS = [
    {"id": uuid.UUID(int=n), "name": "ab"[n % 2], "rank": n % 3, "day": date(2026, 1, 1 + n % 4)}
    for n in range(1, 13)
]


async def _walk(
    engine: AsyncEngine, column: str, key_type: type[Any], *, descending: bool
) -> list[uuid.UUID]:
    """Every row's id, page by page of 5, following cursors as a client would."""
    key, id_ = row.c[column], row.c.id
    order = ("-" if descending else "") + column
    seen: list[uuid.UUID] = []
    cursor: str | None = None
    async with engine.connect() as connection:
        while True:
            after = keyset_position(cursor, order, key_type)
            statement = (
                sa.select(row)
                .where(keyset_after(key, id_, after, descending=descending))
                .order_by(*keyset_order(key, id_, descending=descending))
                .limit(6)
            )
            rows = (await connection.execute(statement)).all()
            page = page_of(
                rows,
                5,
                out=lambda r: r.id,
                cursor_of=lambda r: keyset_cursor(order, r._mapping[column], r.id),
            )
            seen += page.items
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor


@pytest.mark.asyncio
@pytest.mark.parametrize(("column", "key_type"), [("name", str), ("rank", int), ("day", date)])
@pytest.mark.parametrize("descending", [False, True])
async def test_walking_the_pages_meets_every_row_once_in_order(
    engine: AsyncEngine, column: str, key_type: type[Any], descending: bool
) -> None:
    async with engine.begin() as connection:
        await connection.execute(sa.insert(row), ROWS)

    seen = await _walk(engine, column, key_type, descending=descending)

    # the order computed independently, by Python's sort of (key, id)
    expected = [r["id"] for r in sorted(ROWS, key=lambda r: (r[column], r["id"]), reverse=descending)]
    assert seen == expected

"""Keyset pages: the page-size and cursor parameters every list takes, opaque cursors, and the one keyset
condition every repository uses.

A list is ordered by (a sort key, id), ascending or descending; the cursor is the last row's (key, id),
tied to the name of the order it came from, so a cursor of another order is refused (422) instead of
silently skipping rows (a list of another resource in an order of the same name reads it as a position). A list fetches one row more than it shows, to know whether a next page exists.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import sqlalchemy as sa
from fastapi import Query
from prm_contracts.pagination import Page
from prm_contracts.problem import UnprocessableContent, ValidationIssue
from sqlalchemy.orm import QueryableAttribute

MAX_PAGE_SIZE = 200

LimitQuery = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")]
# A cursor holds the last row's sort key: a name of 200 characters of 4 bytes each (UTF-8, in base64) fits.
MAX_CURSOR_LENGTH = 2048
CursorQuery = Annotated[
    str | None, Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page.")
]

Key = TypeVar("Key", str, int, date, datetime)
Row = TypeVar("Row")
Item = TypeVar("Item")


def encode_cursor(position: dict[str, Any]) -> str:
    # non-ASCII as UTF-8, not \uXXXX escapes: a Cyrillic name of 60 letters made a cursor past the limit
    raw = json.dumps(position, separators=(",", ":"), default=str, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The position a cursor holds; 422 when it is not one this API issued."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _bad_cursor("not a cursor this API issued") from exc
    if not isinstance(position, dict):
        raise _bad_cursor("not a cursor this API issued")
    return position


@dataclass(frozen=True)
class KeysetPosition(Generic[Key]):
    """Where the previous page ended: rows strictly after (key, id) in the list's order come next."""

    key: Key
    id: UUID


def keyset_cursor(order: str, key: str | int | date | datetime, last_id: UUID) -> str:
    """The cursor of a page whose last row has `key` and `last_id`, in the list order named `order`."""
    text = key.isoformat() if isinstance(key, date) else str(key)
    return encode_cursor({"order": order, "key": text, "id": str(last_id)})


def keyset_position(cursor: str | None, order: str, key_type: type[Key]) -> KeysetPosition[Key] | None:
    """The position a cursor points at, its key read as `key_type`; 422 when it is not a cursor of the
    list order named `order` (including a timestamp without a timezone, which no cursor of ours holds)."""
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    key, raw_id = position.get("key"), position.get("id")
    if position.get("order") != order or not isinstance(key, str) or not isinstance(raw_id, str):
        raise _cursor_of_another_list()
    try:
        return KeysetPosition(key=_parse_key(key, key_type), id=UUID(raw_id))
    except (ValueError, OverflowError) as exc:
        raise _cursor_of_another_list() from exc


def _parse_key(text: str, key_type: type[Key]) -> Key:
    if key_type is datetime:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError("a cursor's timestamp always has a timezone")
        # ours hold UTC; one whose UTC time leaves the calendar (0001-01-01T00:00+14:00) is no cursor of ours
        return moment.astimezone(UTC)  # type: ignore[return-value]
    if key_type is date:
        return date.fromisoformat(text)  # type: ignore[return-value]
    if key_type is int:
        if not text.lstrip("-").isascii() or not text.lstrip("-").isdigit():
            raise ValueError("not an integer")
        return int(text)  # type: ignore[return-value]
    return text  # type: ignore[return-value]


# A column of a table or a mapped attribute of a model (`Partner.created_at`).
Column = sa.ColumnElement[Any] | QueryableAttribute[Any]


def keyset_after(
    key: Column,
    id_: Column,
    after: KeysetPosition[Any] | None,
    *,
    descending: bool,
) -> sa.ColumnElement[bool]:
    """The rows that come after `after` in (key, id) order (all rows when there is no position yet)."""
    if after is None:
        return sa.true()
    position = sa.tuple_(key, id_)
    bound = sa.tuple_(sa.literal(after.key, key.type), sa.literal(after.id, id_.type))
    return position < bound if descending else position > bound


def keyset_order(
    key: Column, id_: Column, *, descending: bool
) -> tuple[sa.UnaryExpression[Any], sa.UnaryExpression[Any]]:
    """ORDER BY of a keyset list: (key, id), both ascending or both descending."""
    return (key.desc(), id_.desc()) if descending else (key.asc(), id_.asc())


def page_of(
    rows: Sequence[Row], limit: int, *, out: Callable[[Row], Item], cursor_of: Callable[[Row], str]
) -> Page[Item]:
    """The page of `rows` fetched with `limit + 1`: the first `limit` as `out` shows them, and when there was
    one more, the cursor (`cursor_of` the last row shown) to the next page."""
    rows, next_cursor = page_rows(rows, limit, cursor_of=cursor_of)
    return Page[Item](items=[out(row) for row in rows], next_cursor=next_cursor)


def page_rows(
    rows: Sequence[Row], limit: int, *, cursor_of: Callable[[Row], str]
) -> tuple[Sequence[Row], str | None]:
    """The first `limit` of `rows` fetched with `limit + 1`, and the cursor to the next page when there was one
    more (`cursor_of` the last row shown)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, cursor_of(rows[-1])


def _cursor_of_another_list() -> UnprocessableContent:
    return _bad_cursor("not a cursor of this list and sort order")


def _bad_cursor(message: str) -> UnprocessableContent:
    issue = ValidationIssue(loc=["query", "cursor"], msg=message, type="cursor_invalid")
    return UnprocessableContent(f"cursor: {message}; start again without it", errors=[issue])

"""Keyset pages of this service's lists: the cursor is the last row's (sort key, id), tied to the sort it
came from; a list fetches one row more than it shows, to know whether a next page exists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from prm_contracts.pagination import Page
from prm_contracts.problem import UnprocessableContent, ValidationIssue
from prm_kit.pagination import decode_cursor, encode_cursor

Row = TypeVar("Row")
Item = TypeVar("Item")


@dataclass(frozen=True)
class KeysetPosition:
    """Where the previous page ended: rows strictly after (key, id) in the list's order come next."""

    key: str
    id: UUID


def keyset_cursor(order: str, key: str, last_id: UUID) -> str:
    return encode_cursor({"order": order, "key": key, "id": str(last_id)})


def page_of(
    rows: Sequence[Row], limit: int, *, out: Callable[[Row], Item], cursor_of: Callable[[Row], str]
) -> Page[Item]:
    """The page of `rows` fetched with `limit + 1`: the first `limit` as `out` shows them, and when there was
    one more, the cursor (`cursor_of` the last row shown) to the next page."""
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursor_of(rows[-1])
    return Page[Item](items=[out(row) for row in rows], next_cursor=next_cursor)


def keyset_position(cursor: str | None, order: str, *, timestamp_key: bool = False) -> KeysetPosition | None:
    """The position a cursor points at; 422 when it is not one of ours or belongs to another order.

    `timestamp_key`: the key must be an ISO 8601 timestamp (lists ordered by a time).
    """
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    key, raw_id = position.get("key"), position.get("id")
    if position.get("order") != order or not isinstance(key, str) or not isinstance(raw_id, str):
        raise _cursor_of_another_list()
    try:
        if timestamp_key:
            datetime.fromisoformat(key)
        return KeysetPosition(key=key, id=UUID(raw_id))
    except ValueError as exc:
        raise _cursor_of_another_list() from exc


def _cursor_of_another_list() -> UnprocessableContent:
    issue = ValidationIssue(
        loc=["query", "cursor"], msg="not a cursor of this list and sort order", type="cursor_invalid"
    )
    return UnprocessableContent(
        "cursor belongs to another list or sort order; start again without it", errors=[issue]
    )

"""Keyset cursors of this service's lists: the last row's (sort key, id), tied to the sort they came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from prm_contracts.problem import UnprocessableContent, ValidationIssue
from prm_kit.pagination import decode_cursor, encode_cursor


@dataclass(frozen=True)
class KeysetPosition:
    """Where the previous page ended: rows strictly after (key, id) in the list's order come next."""

    key: str
    id: UUID


def keyset_cursor(order: str, key: str, last_id: UUID) -> str:
    return encode_cursor({"order": order, "key": key, "id": str(last_id)})


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

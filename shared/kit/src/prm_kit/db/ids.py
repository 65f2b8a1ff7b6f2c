"""Ids of rows that lists order by (a time, id)."""

from __future__ import annotations

from uuid import UUID

import uuid6


def ordered_id() -> UUID:
    """A UUIDv7: ordered by creation time and, within one process, strictly increasing. Rows written in one
    request share its `now`; with these ids, a list ordered by (time, id) keeps the order they were made in."""
    return UUID(int=uuid6.uuid7().int)

"""Opaque cursors and the page-size parameter every list endpoint takes."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from fastapi import Query
from prm_contracts.problem import UnprocessableContent, ValidationIssue

MAX_PAGE_SIZE = 200

LimitQuery = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")]
CursorQuery = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page.")]


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(position, dict):
        raise _bad_cursor()
    return position


def _bad_cursor() -> UnprocessableContent:
    issue = ValidationIssue(
        loc=["query", "cursor"], msg="not a cursor this API issued", type="cursor_invalid"
    )
    return UnprocessableContent("cursor is not one this API issued; start again without it", errors=[issue])

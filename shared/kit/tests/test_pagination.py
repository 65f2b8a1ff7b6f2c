"""Cursors are opaque to clients: what the API issues comes back intact, anything else is a 422."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from prm_contracts.pagination import Page
from prm_contracts.problem import UnprocessableContent
from prm_kit.pagination import (
    MAX_CURSOR_LENGTH,
    CursorQuery,
    LimitQuery,
    decode_cursor,
    encode_cursor,
    keyset_cursor,
    keyset_position,
)
from prm_kit.testing import rolled_back_app

AppFactory = Callable[..., FastAPI]

router = APIRouter()
NUMBERS = list(range(1, 8))


@router.get("/v1/numbers")
async def list_numbers(limit: LimitQuery = 3, cursor: CursorQuery = None) -> Page[int]:
    after = decode_cursor(cursor)["after"] if cursor else 0
    items = [n for n in NUMBERS if n > after][:limit]
    more = bool(items) and items[-1] < NUMBERS[-1]
    return Page[int](items=items, next_cursor=encode_cursor({"after": items[-1]}) if more else None)


@pytest.mark.parametrize(
    "position",
    [
        {"after": 42},
        {"created_at": "2026-11-27T10:00:00+00:00", "id": "6f1c1d1e-1111-4a4a-8b8b-000000000001"},
        {"name": "Zürich & Söhne", "rank": -1.5, "done": False, "nothing": None},
        {},
    ],
)
def test_a_cursor_decodes_to_the_position_it_encoded(position: dict[str, Any]) -> None:
    cursor = encode_cursor(position)

    assert decode_cursor(cursor) == position
    assert "=" not in cursor  # safe in a query string as is


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "!!!",
        "",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),  # JSON, but not a position
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),  # not even text
        "eyJhZnRlciI6",  # a valid cursor cut short
    ],
)
def test_a_garbage_cursor_is_unprocessable_at_query_cursor(cursor: str) -> None:
    with pytest.raises(UnprocessableContent) as caught:
        decode_cursor(cursor)

    [issue] = caught.value.errors or []
    assert issue.loc == ["query", "cursor"]
    assert issue.type == "cursor_invalid"


@pytest.mark.asyncio
async def test_a_client_walks_every_page_with_next_cursor(kit_app: AppFactory, kit_database_url: str) -> None:
    seen: list[int] = []
    pages = 0
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        params: dict[str, str] = {}
        while True:
            page = (await client.get("/v1/numbers", params=params)).json()
            pages += 1
            seen += page["items"]
            if page["next_cursor"] is None:
                break
            params = {"cursor": page["next_cursor"]}

    assert seen == [1, 2, 3, 4, 5, 6, 7]
    assert pages == 3  # 3 + 3 + 1


@pytest.mark.asyncio
async def test_a_garbage_cursor_is_a_422_problem(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/v1/numbers", params={"cursor": "garbage"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/validation-error"
    assert body["errors"] == [
        {"loc": ["query", "cursor"], "msg": "not a cursor this API issued", "type": "cursor_invalid"}
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize(("limit", "bound"), [("0", "greater_than_equal"), ("201", "less_than_equal")])
async def test_a_page_size_out_of_bounds_is_a_422_problem(
    kit_app: AppFactory, kit_database_url: str, limit: str, bound: str
) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/v1/numbers", params={"limit": limit})

    assert response.status_code == 422
    [issue] = response.json()["errors"]
    assert issue["loc"] == ["query", "limit"]
    assert issue["type"] == bound


@pytest.mark.parametrize("letter", ["Ж", "語", "😀"])
def test_the_cursor_of_a_row_named_in_200_non_ascii_characters_is_one_the_api_accepts(letter: str) -> None:
    last_id = uuid.uuid4()
    name = letter * 200  # the longest name a partner, programme or model can have

    cursor = keyset_cursor("display_name", name, last_id)

    assert len(cursor) <= MAX_CURSOR_LENGTH
    position = keyset_position(cursor, "display_name", str)
    assert position is not None
    assert (position.key, position.id) == (name, last_id)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_cursor_whose_timestamp_leaves_the_calendar_in_utc_is_refused(moment: str) -> None:
    """Such a key passed the parse and broke the query (OverflowError converting it to UTC): a 500."""
    position = {"order": "-created_at", "key": moment, "id": str(uuid.UUID(int=0))}
    cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")

    with pytest.raises(UnprocessableContent):
        keyset_position(cursor, "-created_at", datetime)


def test_a_cursor_timestamp_is_read_in_utc() -> None:
    position = {"order": "-created_at", "key": "2026-07-01T02:00:00+02:00", "id": str(uuid.UUID(int=0))}
    cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")

    read = keyset_position(cursor, "-created_at", datetime)

    assert read is not None
    assert (read.key, read.key.tzinfo) == (datetime(2026, 7, 1, 0, 0, tzinfo=UTC), UTC)

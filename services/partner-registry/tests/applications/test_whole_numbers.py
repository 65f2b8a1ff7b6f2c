"""Whole-number facts are JSON integers, as the document says: a string or a float is refused, not coerced
(schemathesis' "all checks" run found `"12"` accepted where the schema says integer)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ..factories import application_body


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("field", "value"),
    [("employee_count", "12"), ("employee_count", 12.5), ("year_founded", "2001"), ("year_founded", True)],
)
async def test_a_whole_number_sent_as_anything_else_is_refused(
    client: httpx.AsyncClient, field: str, value: Any
) -> None:
    answer = await client.post("/v1/applications", json=application_body(**{field: value}))

    assert answer.status_code == 422, answer.text
    assert ["body", "company", field] == answer.json()["errors"][0]["loc"][:3]


@pytest.mark.asyncio
async def test_whole_numbers_as_json_integers_are_accepted(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/applications", json=application_body(employee_count=12, year_founded=2001)
    )

    assert answer.status_code == 201, answer.text

"""The statistics' `period` as the document states it: its pattern admits exactly the periods the server
accepts (a quarter or a month of 1900-9998, no bare year), while a refused one keeps the server's message."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

STATISTICS = "/v1/conflict-cases/statistics"

ACCEPTED = ["2026-Q3", "2026-07", "1900-Q1", "1900-01", "9998-Q4", "9998-12", "2026-10"]
REFUSED = [
    "2026",  # a year, which other periods allow
    "2026-q3",  # other periods take `q` and spaces; this one does not
    " 2026-Q3",
    "2026-Q3 ",
    "2026-Q0",
    "2026-Q5",
    "2026-00",
    "2026-13",
    "2026-7",
    "2026-07-01",
    "Q3-2026",
    "1899-12",
    "9999-Q1",
    "0000-01",
    "\uff12\uff10\uff12\uff16-07",  # fullwidth digits
]


def _period_schema(app: FastAPI) -> dict[str, Any]:
    operation = app.openapi()["paths"][STATISTICS]["get"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == "period"]
    schema: dict[str, Any] = parameter["schema"]
    return schema


@pytest.mark.parametrize("period", ACCEPTED + REFUSED)
def test_the_documented_pattern_admits_exactly_the_periods_the_server_accepts(
    app: FastAPI, period: str
) -> None:
    pattern = _period_schema(app)["pattern"]

    # JSON Schema patterns are unanchored ECMA regexes: `search`, with the pattern's own ^ and $
    assert (re.search(pattern, period) is not None) == (period in ACCEPTED)


@pytest.mark.asyncio
@pytest.mark.parametrize("period", ACCEPTED + REFUSED)
async def test_the_server_accepts_what_the_document_admits(client: httpx.AsyncClient, period: str) -> None:
    response = await client.get(STATISTICS, params={"period": period})

    assert response.status_code == (200 if period in ACCEPTED else 422), response.text


@pytest.mark.asyncio
async def test_a_period_the_pattern_refuses_keeps_the_servers_message(client: httpx.AsyncClient) -> None:
    response = await client.get(STATISTICS, params={"period": "2026"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "period: must be a quarter such as 2026-Q3 or a month such as 2026-07, got '2026'"
    )
    assert response.json()["errors"] == [
        {
            "loc": ["query", "period"],
            "msg": "must be a quarter such as 2026-Q3 or a month such as 2026-07, got '2026'",
            "type": "period_invalid",
        }
    ]

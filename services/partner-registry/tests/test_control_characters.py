"""Control characters never reach the registry's records: refused at its edge (prm_kit.text_guard) with a 422
naming the character, nothing stored; tab and line breaks are text in multi-line fields only."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import CONFLICT_MANAGER, a_partner, case_body, partner_body, signed_as, stored_counts

pytestmark = pytest.mark.asyncio

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("content", "named"),
    [
        # the name, as a JSON client sends it
        (json.dumps(partner_body(legal_name="Bell\u0007\u001b[31m")).encode(), "U+0007 (BEL)"),
        # a C1 control as raw UTF-8: valid JSON, still refused
        (json.dumps(partner_body(display_name="Next\u0085Line"), ensure_ascii=False).encode(), "U+0085"),
        (json.dumps(partner_body(region="DEL\u007f")).encode(), "U+007F (DEL)"),
    ],
    # named, not by the bodies: each holds a random registration number, and pytest-xdist's workers must
    # collect the same test ids
    ids=["BEL-escaped", "C1-raw", "DEL-escaped"],
)
async def test_a_partner_named_with_control_characters_is_a_422_and_not_stored(
    client: httpx.AsyncClient, db: AsyncSession, content: bytes, named: str
) -> None:
    before = await stored_counts(db)

    response = await client.post("/v1/partners", content=content, headers=JSON)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert named in response.json()["detail"]
    assert response.json()["errors"][0]["loc"] == ["body"]
    assert await stored_counts(db) == before


async def test_a_control_character_in_a_query_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/partners?country=D%1bE")

    assert response.status_code == 422
    assert "U+001B (ESC)" in response.json()["detail"]
    assert response.json()["errors"][0]["loc"] == ["query"]


async def test_a_name_is_one_line(client: httpx.AsyncClient, db: AsyncSession) -> None:
    before = await stored_counts(db)

    response = await client.post("/v1/partners", json=partner_body(legal_name="Acme\nNetworks GmbH"))

    assert response.status_code == 422, response.text
    assert [(e["loc"], e["type"]) for e in response.json()["errors"]] == [
        (["body", "legal_name"], "single_line")
    ]
    assert await stored_counts(db) == before


async def test_multi_line_text_keeps_tabs_and_line_breaks(client: httpx.AsyncClient) -> None:
    a, b = await a_partner(client), await a_partner(client)
    description = "Both quoted the tender:\n\t- Acme on 1 July\r\n\t- Globex on 3 July"

    opened = await client.post(
        "/v1/conflict-cases",
        json=case_body(a, b, description=description),
        headers=signed_as(CONFLICT_MANAGER),
    )

    assert opened.status_code == 201, opened.text
    stored = await client.get(
        f"/v1/conflict-cases/{opened.json()['id']}", headers=signed_as(CONFLICT_MANAGER)
    )
    assert stored.json()["description"] == description


async def test_an_escaped_backslash_before_u0007_is_just_text(client: httpx.AsyncClient) -> None:
    # JSON `\\u0007`: a backslash, then the letters "u0007"
    content = json.dumps(partner_body(display_name="Acme \\u0007 Networks")).encode()
    assert b"\\\\u0007" in content

    response = await client.post("/v1/partners", content=content, headers=JSON)

    assert response.status_code == 201, response.text
    assert response.json()["display_name"] == "Acme \\u0007 Networks"

"""The NUL character is refused in query strings and JSON bodies, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from prm_kit.testing import internal_headers, rolled_back_app
from pydantic import BaseModel

AppFactory = Callable[..., FastAPI]


class Note(BaseModel):
    text: str


def _echo(seen: list[str]) -> APIRouter:
    router = APIRouter()

    @router.get("/notes")
    async def find_notes(q: str = "") -> dict[str, str]:
        seen.append(q)
        return {"q": q}

    @router.post("/notes")
    async def add_note(note: Note) -> dict[str, str]:
        seen.append(note.text)
        return {"text": note.text}

    return router


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "url", "content", "where"),
    [
        ("GET", "/notes?q=a%00b", None, "query"),
        ("POST", "/notes", b'{"text": "a\\u0000b"}', "body"),
        ("POST", "/notes", b'{"text": "a\\\\\\u0000b"}', "body"),  # an escaped backslash, then the NUL escape
        ("POST", "/notes", b'{"text": "a\x00b"}', "body"),
    ],
)
async def test_the_nul_character_is_a_422_and_reaches_no_handler(
    kit_app: AppFactory, kit_database_url: str, method: str, url: str, content: bytes | None, where: str
) -> None:
    seen: list[str] = []
    async with rolled_back_app(kit_app(_echo(seen)), kit_database_url) as (client, _):
        headers = {"content-type": "application/json"} if content else {}
        response = await client.request(method, url, content=content, headers=headers)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"]
    assert response.json()["errors"][0]["loc"] == [where]
    assert "NUL" in response.json()["detail"]
    assert seen == []


@pytest.mark.asyncio
async def test_an_escaped_backslash_before_u0000_is_just_text(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    seen: list[str] = []
    async with rolled_back_app(kit_app(_echo(seen)), kit_database_url) as (client, _):
        response = await client.post(
            "/notes", content=b'{"text": "C:\\\\u0000 folder"}', headers={"content-type": "application/json"}
        )

    assert response.status_code == 200, response.text
    assert seen == ["C:\\u0000 folder"]


@pytest.mark.asyncio
async def test_a_body_in_several_chunks_is_read_whole(kit_app: AppFactory) -> None:
    seen: list[str] = []
    app = kit_app(_echo(seen))
    body = json.dumps({"text": "x" * 100 + "\u0000"}).encode()
    chunks = [body[:50], body[50:105], body[105:]]  # the escape is split across chunks
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/notes",
        "raw_path": b"/notes",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json")]
        + [(name.encode(), value.encode()) for name, value in internal_headers().items()],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }
    await app(scope, receive, send)

    assert sent[0]["status"] == 422
    assert seen == []


@pytest.mark.asyncio
async def test_ordinary_text_passes_through_unchanged(kit_app: AppFactory, kit_database_url: str) -> None:
    seen: list[str] = []
    async with rolled_back_app(kit_app(_echo(seen)), kit_database_url) as (client, _):
        found = await client.get("/notes", params={"q": "Müller & Söhne 100%"})
        added = await client.post("/notes", json={"text": "Ölmühle \\u0001 fine"})

    assert (found.status_code, added.status_code) == (200, 200)
    assert seen == ["Müller & Söhne 100%", "Ölmühle \\u0001 fine"]

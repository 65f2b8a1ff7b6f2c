"""Control characters (C0 but tab/LF/CR, DEL, C1) are refused in paths, query strings and JSON bodies, raw,
escaped or percent-encoded, the same on SQLite and PostgreSQL; other bodies stream through untouched."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from hypothesis import given
from hypothesis import strategies as st
from prm_kit.testing import internal_headers, rolled_back_app
from prm_kit.text_guard import (
    _BODY,
    _escapes,
    control_character_in_body,
    control_character_in_query,
    control_character_name,
)
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

    @router.post("/uploads")
    async def upload(request: Request) -> dict[str, int]:
        chunks = [chunk async for chunk in request.stream() if chunk]
        seen.extend(chunk.decode() for chunk in chunks)
        return {"chunks": len(chunks)}

    return router


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "url", "content", "where"),
    [
        ("GET", "/notes?q=a%00b", None, "query"),
        ("GET", "/notes%00", None, "query"),  # in a path, code point 0 once passed for "nothing found"
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


JSON = {"content-type": "application/json"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("url", "content", "headers", "where", "named"),
    [
        # the name: a bell, then a terminal escape turning the text red
        ("/notes", b'{"text": "Bell\\u0007\\u001b[31m"}', JSON, "body", "U+0007 (BEL)"),
        ("/notes", b'{"text": "a\\u001B[0m"}', JSON, "body", "U+001B (ESC)"),  # hex in either case
        ("/notes", b'{"text": "a\\u000b"}', JSON, "body", "U+000B (VT)"),
        ("/notes", b'{"text": "back\\bspace"}', JSON, "body", "U+0008 (BS)"),
        ("/notes", b'{"text": "form\\ffeed"}', JSON, "body", "U+000C (FF)"),
        ("/notes", b'{"text": "a\\\\\\u0001"}', JSON, "body", "U+0001 (SOH)"),  # \\ then the escape
        ("/notes", b'{"text": "del\\u007F"}', JSON, "body", "U+007F (DEL)"),
        ("/notes", b'{"text": "next line\\u0085"}', JSON, "body", "U+0085 (a C1 control)"),
        ("/notes", b'{"text": "csi\\u009b"}', JSON, "body", "U+009B (a C1 control)"),
        # C1 as raw UTF-8 is valid JSON; raw C0 is not, but is refused before parsing all the same
        ("/notes", '{"text": "next line\u0085"}'.encode(), JSON, "body", "U+0085 (a C1 control)"),
        ("/notes", '{"text": "\u009f"}'.encode(), JSON, "body", "U+009F (a C1 control)"),
        ("/notes", b'{"text": "bell\x07"}', JSON, "body", "U+0007 (BEL)"),
        ("/notes", b'{"text": "del\x7f"}', JSON, "body", "U+007F (DEL)"),
        # what FastAPI parses as JSON is guarded as JSON: no content type, parameters, +json
        ("/notes", b'{"text": "Bell\\u0007"}', {}, "body", "U+0007 (BEL)"),
        (
            "/notes",
            b'{"text": "\\u0007"}',
            {"content-type": "Application/JSON; charset=utf-8"},
            "body",
            "U+0007 (BEL)",
        ),
        (
            "/notes",
            b'{"text": "\\u0007"}',
            {"content-type": "application/merge-patch+json"},
            "body",
            "U+0007 (BEL)",
        ),
        # query strings, percent-encoded in either case, and paths
        ("/notes?q=a%07", None, {}, "query", "U+0007 (BEL)"),
        ("/notes?q=%1b%5B31m", None, {}, "query", "U+001B (ESC)"),
        ("/notes?q=a%7f", None, {}, "query", "U+007F (DEL)"),
        ("/notes?q=a%C2%85", None, {}, "query", "U+0085 (a C1 control)"),
        ("/notes?q=a%c2%9F", None, {}, "query", "U+009F (a C1 control)"),
        ("/notes%07", None, {}, "query", "U+0007 (BEL)"),
    ],
)
async def test_control_characters_are_a_422_naming_the_character(
    kit_app: AppFactory,
    kit_database_url: str,
    url: str,
    content: bytes | None,
    headers: dict[str, str],
    where: str,
    named: str,
) -> None:
    seen: list[str] = []
    async with rolled_back_app(kit_app(_echo(seen)), kit_database_url) as (client, _):
        method = "GET" if content is None else "POST"
        response = await client.request(method, url, content=content, headers=headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert named in problem["detail"]
    assert problem["errors"] == [{"loc": [where], "msg": problem["detail"], "type": "control_character"}]
    assert seen == []


@pytest.mark.asyncio
async def test_tab_and_line_breaks_pass_in_multi_line_text(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    seen: list[str] = []
    async with rolled_back_app(kit_app(_echo(seen)), kit_database_url) as (client, _):
        escaped = await client.post(
            "/notes", content=b'{"text": "a\\tb\\nc\\r\\nd\\u0009e\\u000Af\\u000dg"}', headers=JSON
        )
        found = await client.get("/notes?q=a%09b%0Ac%0dd%C2%A0e")  # and a no-break space (C2 A0, not C1)

    assert (escaped.status_code, found.status_code) == (200, 200), escaped.text
    assert seen == ["a\tb\nc\r\nd\te\nf\rg", "a\tb\nc\rd\u00a0e"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("content", "stored"),
    [
        (b'{"text": "C:\\\\u0007 folder"}', "C:\\u0007 folder"),  # an escaped backslash, then "u0007"
        (b'{"text": "C:\\\\\\\\u001b"}', "C:\\\\u001b"),  # two of them
        (b'{"text": "C:\\\\bin\\\\ftp"}', "C:\\bin\\ftp"),  # \\b and \\f: a backslash, then a letter
        (b'{"text": "\\u00a0\\u00C2\\u0100"}', "\u00a0\u00c2\u0100"),  # escapes just past the controls
    ],
)
async def test_an_escaped_backslash_before_an_escape_is_just_text(
    kit_app: AppFactory, kit_database_url: str, content: bytes, stored: str
) -> None:
    seen: list[str] = []
    async with rolled_back_app(kit_app(_echo(seen)), kit_database_url) as (client, _):
        response = await client.post("/notes", content=content, headers=JSON)

    assert response.status_code == 200, response.text
    assert seen == [stored]


@pytest.mark.asyncio
async def test_other_bodies_stream_through_untouched(kit_app: AppFactory) -> None:
    seen: list[str] = []
    app = kit_app(_echo(seen))
    chunks = [b"name,notes\n", b"Bell\x07,\\u0007 \xc2\x85\n", b"x,\x1b[31m\n"]
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(_scope("POST", "/uploads", b"text/csv; charset=utf-8"), receive, send)

    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"]) == {"chunks": 3}  # read as sent, not buffered into one
    assert seen == [chunk.decode() for chunk in chunks]


def _scope(method: str, path: str, content_type: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", content_type)]
        + [(name.encode(), value.encode()) for name, value in internal_headers().items()],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }


REFUSED = {*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)}


@pytest.mark.backend_independent
def test_exactly_c0_but_tab_and_line_breaks_del_and_c1_are_refused_in_every_form() -> None:
    assert len(REFUSED) == 29 + 1 + 32  # C0 less tab, LF, CR; DEL; C1
    for code_point in range(0x00, 0x180):
        # a quote or backslash is not itself in a JSON string: escaped, like the encoder would
        encoded = (
            chr(code_point).encode() if chr(code_point) not in '"\\' else b"\\" + chr(code_point).encode()
        )
        escapes = [f"\\u{code_point:04x}".encode(), f"\\u{code_point:04X}".encode()]
        percent = "".join(f"%{byte:02x}" for byte in encoded).encode()
        expected = code_point if code_point in REFUSED else None

        found = [control_character_in_body(b'{"t": "a' + form + b'b"}') for form in [encoded, *escapes]] + [
            control_character_in_query(b"q=a" + form + b"b") for form in [percent, percent.upper(), encoded]
        ]

        assert found == [expected] * 6, hex(code_point)


def _scanned_whole(body: bytes) -> int | None:
    """The first control character by the regex over every byte: what the fast path must agree with."""
    for match in _BODY.finditer(body):
        if match["escape"] is None:
            return match["raw"][-1]
        if _escapes(body, match.start()):
            return {b"b": 0x08, b"f": 0x0C}.get(match["escape"]) or int(match["escape"][1:], 16)
    return None


@pytest.mark.backend_independent
@given(
    st.lists(
        st.sampled_from(
            [b"a", b" ", b"\\", b"\\\\", b"\\u0007", b"\\u00e9", b"\\\\u0000", b"\\n", b"\\b", b"\x07"]
        )
        | st.binary(max_size=3)
        | st.text(max_size=3).map(str.encode),
        max_size=30,
    ).map(b"".join)
)
def test_the_fast_path_finds_what_the_whole_scan_finds(body: bytes) -> None:
    assert control_character_in_body(body) == _scanned_whole(body)


@pytest.mark.backend_independent
def test_a_refused_character_is_named() -> None:
    assert control_character_name(0x00) == "U+0000 (NUL)"
    assert control_character_name(0x07) == "U+0007 (BEL)"
    assert control_character_name(0x1B) == "U+001B (ESC)"
    assert control_character_name(0x1F) == "U+001F (US)"
    assert control_character_name(0x7F) == "U+007F (DEL)"
    assert control_character_name(0x85) == "U+0085 (a C1 control)"

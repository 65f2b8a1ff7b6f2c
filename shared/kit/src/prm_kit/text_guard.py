"""Control characters are refused in paths, query strings and JSON bodies (422) before any handler sees them.

Refused: the C0 controls U+0000-U+001F except tab, line feed and carriage return, DEL (U+007F) and the C1
controls U+0080-U+009F, as raw characters, as JSON escapes and percent-encoded. PostgreSQL cannot store NUL
(SQLite can), and the others are terminal escapes, log and CSV injection, or invisible text nobody meant to
send: refusing them at the edge gives one answer on both backends, naming the client's mistake. Tab and line
breaks are text; single-line fields refuse them by their contract type (`prm_contracts.text.SingleLine`).

Only bodies FastAPI would parse as JSON are read here (no content type, `application/json`,
`application/*+json`); any other body streams through untouched, and a CSV upload is checked record by
record as it is read (`prm_kit.csv_upload`, with `control_character_in_text`). One regex pass per body.
"""

from __future__ import annotations

import re

from prm_contracts.problem import UnprocessableContent, ValidationIssue
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prm_kit.errors import problem_response

# C0 but tab (09), line feed (0A), carriage return (0D); DEL; C1 in UTF-8 (C2 80-C2 9F)
_RAW = rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]"
_HEX_CONTROL = rb"00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])"
# A backslash and an escape letter; whether that backslash escapes (an even number of backslashes before it:
# `\\u0007` is a backslash and "u0007") is counted by hand, as a lookbehind would slow every byte down.
_BODY = re.compile(rb"\\(?P<escape>u" + _HEX_CONTROL + rb"|[bf])|(?P<raw>" + _RAW + rb")")
_QUERY = re.compile(
    rb"%(?P<pct>0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[cC]2%[89][0-9a-fA-F])|(?P<raw>" + _RAW + rb")"
)
# Every byte that can begin neither a control character nor an escape: deleting them (one C pass, about 60
# times faster than the regex over a 180 kB delivery) leaves nothing in almost every body, which needs no scan.
_INNOCENT = bytes(b for b in range(256) if (b >= 0x20 or b in b"\t\n\r") and b not in b"\x7f\\\xc2")
_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_SHORT_ESCAPES = {b"b": 0x08, b"f": 0x0C}
_C0_NAMES = (
    *("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI"),
    *(
        "DLE",
        "DC1",
        "DC2",
        "DC3",
        "DC4",
        "NAK",
        "SYN",
        "ETB",
        "CAN",
        "EM",
        "SUB",
        "ESC",
        "FS",
        "GS",
        "RS",
        "US",
    ),
)


class TextGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = control_character_in_text(scope["path"])
        if found is None:  # not `or`: NUL is code point 0
            found = control_character_in_query(scope.get("query_string", b""))
        if found is not None:
            await _refuse(scope, receive, send, "query", "query parameters and paths", found)
            return
        if scope["method"] not in _BODY_METHODS or not _parsed_as_json(scope):
            await self.app(scope, receive, send)
            return
        body = await _whole_body(receive)
        found = control_character_in_body(body)
        if found is not None:
            await _refuse(scope, receive, send, "body", "the body", found)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: a disconnect
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def control_character_in_text(text: str) -> int | None:
    """The first control character of decoded text (a path, a CSV record), or None."""
    match = _TEXT.search(text)
    return ord(match.group()) if match else None


def control_character_in_query(query: bytes) -> int | None:
    match = _QUERY.search(query)
    if match is None:
        return None
    if match["pct"] is not None:  # "07", or "C2%85" for U+0085
        return int(match["pct"][-2:], 16)
    return _raw_code_point(match["raw"])


def control_character_in_body(body: bytes) -> int | None:
    """The first control character the body holds, raw or as a JSON escape."""
    if not body.translate(None, _INNOCENT):
        return None
    for match in _BODY.finditer(body):
        escape = match["escape"]
        if escape is None:
            return _raw_code_point(match["raw"])
        if _escapes(body, match.start()):
            return _SHORT_ESCAPES.get(escape) or int(escape[1:], 16)
    return None


def _escapes(body: bytes, backslash: int) -> bool:
    """Whether the backslash at `backslash` starts an escape: an even number of backslashes before it."""
    before = backslash
    while before > 0 and body[before - 1] == 0x5C:
        before -= 1
    return (backslash - before) % 2 == 0


def _raw_code_point(raw: bytes) -> int:
    return raw[-1]  # one byte, or C2 xx: U+0080-U+009F are xx itself


def _parsed_as_json(scope: Scope) -> bool:
    """Whether FastAPI would read this body as JSON: no content type, `application/json` or `…+json`."""
    content_type = next((value for name, value in scope["headers"] if name == b"content-type"), b"")
    media_type = content_type.split(b";", 1)[0].strip().lower()
    if not media_type:
        return True
    main, _, sub = media_type.partition(b"/")
    return main == b"application" and (sub == b"json" or sub.endswith(b"+json"))


def control_character_name(code_point: int) -> str:
    """`U+0007 (BEL)`: the code point and, for C0 and DEL, its short name."""
    if code_point < len(_C0_NAMES):
        return f"U+{code_point:04X} ({_C0_NAMES[code_point]})"
    if code_point == 0x7F:
        return "U+007F (DEL)"
    return f"U+{code_point:04X} (a C1 control)"


def control_character_refused(what: str, code_point: int) -> tuple[str, str]:
    """(message, error type) refusing `code_point` in `what` (`the body`, `a record`)."""
    named = control_character_name(code_point)
    kind = "the NUL character" if code_point == 0 else "the control character"
    message = f"{what} may not contain {kind} {named}; only tab, line feed and carriage return are allowed"
    return message, "nul_character" if code_point == 0 else "control_character"


async def _refuse(scope: Scope, receive: Receive, send: Send, where: str, what: str, code_point: int) -> None:
    message, issue_type = control_character_refused(what, code_point)
    issue = ValidationIssue(loc=[where], msg=message, type=issue_type)
    response = problem_response(UnprocessableContent(message, errors=[issue]), Request(scope))
    await response(scope, receive, send)


async def _whole_body(receive: Receive) -> bytes:
    """The request body read to its end (services sit behind the gateway's body limit)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)

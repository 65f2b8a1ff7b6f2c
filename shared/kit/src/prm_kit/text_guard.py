"""The NUL character is refused in query strings and JSON bodies (422) before any handler sees the request.

PostgreSQL cannot store it in text and SQLite can: refusing it at the edge gives one answer on both
backends, and one that names the client's mistake instead of a database error.
"""

from __future__ import annotations

import re

from prm_contracts.problem import UnprocessableContent, ValidationIssue
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prm_kit.errors import problem_response

# `\u0000` as a JSON escape: preceded by an even number of backslashes (`\\u0000` is a backslash and "u0000")
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class TextGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]:
            await self._refuse(scope, receive, send, "query", "query parameters and paths")
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        body = await _whole_body(receive)
        if _JSON_NUL.search(body) or b"\x00" in body:
            await self._refuse(scope, receive, send, "body", "the body")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: a disconnect
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, where: str, what: str) -> None:
        message = f"{what} may not contain the NUL character (\\u0000)"
        issue = ValidationIssue(loc=[where], msg=message, type="nul_character")
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

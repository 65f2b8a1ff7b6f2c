"""Stand-ins for the services: a small ASGI app that echoes what reached it, served by uvicorn in a thread.

The echo verifies the gateway's internal credential exactly as a real service does (PrincipalVerifier),
so a test sees the principal a service would see, and answers a HEAD 405 as a service's FastAPI routes do.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from typing import Any

import uvicorn
from prm_contracts.problem import Conflict, MethodNotAllowed, Unauthorized
from prm_kit.errors import problem_response
from prm_kit.internal_auth import PrincipalVerifier
from prm_kit.testing import TEST_SECRET
from starlette.types import Receive, Scope, Send

LARGE_BODY_BYTES = 300_000
SLOW_SECONDS = 3.0
# `/trickle`: TRICKLE_PIECES pieces of an answer, TRICKLE_PAUSE_SECONDS apart, until the caller leaves
TRICKLE_PIECES = 50
TRICKLE_PAUSE_SECONDS = 0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class EchoService:
    """Answers every request with what it received: method, path, query, headers, body, principal."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.verifier = PrincipalVerifier(TEST_SECRET)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path == "/readyz":
            await _json(
                send,
                200,
                {"status": "ready", "service": self.name, "database": "ok", "migrations": "at_head"},
            )
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            principal = self.verifier.verify(headers.get("x-prm-principal", ""))
        except Unauthorized as error:
            await problem_response(error)(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        if scope["method"] == "HEAD" or (path.endswith("/post-only") and scope["method"] != "POST"):
            allowed = "POST" if path.endswith("/post-only") else "GET, POST"
            refusal = MethodNotAllowed(
                f"{scope['method']} is not allowed on {path}", headers={"Allow": allowed}
            )
            await problem_response(refusal)(scope, receive, send)
            return
        if path.endswith("/slow"):
            await asyncio.sleep(SLOW_SECONDS)
        if path.endswith("/large"):
            await _large(send)
            return
        if path.endswith("/trickle"):
            await _trickle(receive, send)
            return
        if path.endswith("/conflict"):
            await problem_response(Conflict("the service's own answer"))(scope, receive, send)
            return
        await _json(
            send,
            201 if scope["method"] == "POST" else 200,
            {
                "service": self.name,
                "method": scope["method"],
                "path": path,
                "raw_path": scope["raw_path"].decode("latin-1"),
                "query": scope["query_string"].decode("latin-1"),
                "headers": headers,
                "body": body.decode("utf-8", errors="replace"),
                "principal": {
                    "subject": principal.subject,
                    "scopes": sorted(principal.scopes),
                    "partner_id": str(principal.partner_id) if principal.partner_id else None,
                },
            },
            extra=[
                (b"x-upstream", self.name.encode()),
                (b"x-request-id", b"set-by-upstream"),
                (b"etag", b'W/"echoed"'),
            ],
        )


async def _json(
    send: Send, status: int, payload: Any, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


async def _large(send: Send) -> None:
    """A body bigger than the gateway reads at once, sent in pieces without a Content-Length."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    piece = b"x" * 10_000
    for _ in range(LARGE_BODY_BYTES // len(piece)):
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _trickle(receive: Receive, send: Send) -> None:
    """A long streamed answer (an export): a piece at a time, ending early when the caller goes away."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/csv")]})
    for _ in range(TRICKLE_PIECES):
        await send({"type": "http.response.body", "body": b"a,b\n" * 100, "more_body": True})
        try:
            async with asyncio.timeout(TRICKLE_PAUSE_SECONDS):
                if (await receive())["type"] == "http.disconnect":
                    return
        except TimeoutError:
            pass
    await send({"type": "http.response.body", "body": b""})


class ServerThread:
    """uvicorn serving `app` on a free port in a thread with its own event loop."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake service did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

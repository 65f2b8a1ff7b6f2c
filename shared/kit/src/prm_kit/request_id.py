"""`X-Request-ID`: accepted or created per request, returned, logged and propagated downstream."""

from __future__ import annotations

import itertools
import os
import re
import time
from contextvars import ContextVar

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prm_kit.access_log import AccessLog

REQUEST_ID_HEADER = "x-request-id"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


# A new id is 32 lowercase hex digits: a random per-process prefix plus a counter rather than a fresh uuid4.
# Ids need to be unique, not unpredictable, and a uuid4 was the costliest step of a proxied request after
# the network.
_PREFIX = os.urandom(10).hex()  # 80 random bits: processes (and restarts) do not collide
_COUNTER = itertools.count()


def new_request_id() -> str:
    return f"{_PREFIX}{next(_COUNTER) & 0xFFFFFFFFFFFF:012x}"


def accept_request_id(value: str | None) -> str:
    """Keep a caller's id when it is sane, so one id follows a request across systems; else make one."""
    if value and _ACCEPTABLE.fullmatch(value):
        return value
    return new_request_id()


class RequestIdMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware) so it adds next to nothing to each request."""

    def __init__(self, app: ASGIApp, *, access_log: AccessLog | None = None) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = accept_request_id(incoming)
        token = current_request_id.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access_log is not None:
                self.access_log.request(
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    request_id=request_id,
                )
            structlog.contextvars.unbind_contextvars("request_id")
            current_request_id.reset(token)

"""CORS for browser front ends (partner portal, channel-manager console) on the configured origins only.

Bearer keys, not cookies, so credentials are not allowed; every answer header the document declares is
exposed, so a front end can read it (tests/test_openapi_truthful.py keeps the two in step). A preflight
that is refused is a 400 problem naming what was refused; every preflight has a request id and is logged,
like any other request.
"""

from __future__ import annotations

from typing import Any

from prm_contracts.problem import BadRequest
from prm_kit.access_log import AccessLog
from prm_kit.request_id import RequestIdMiddleware
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.problems import send_problem

ALLOW_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
)
EXPOSE_HEADERS = (
    "X-Request-ID",
    "ETag",
    "Location",
    "Retry-After",
    "Idempotent-Replayed",
    "Webhook-Replayed",  # a tool that replays a signed delivery from a browser reads it too
    "Content-Disposition",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
)
MAX_AGE_SECONDS = 600


def cors_options(origins: list[str]) -> dict[str, Any]:
    """Keyword arguments of `ProblemCORSMiddleware` (Starlette's CORSMiddleware)."""
    return {
        "allow_origins": origins,
        "allow_methods": ALLOW_METHODS,
        "allow_headers": ALLOW_HEADERS,
        "expose_headers": EXPOSE_HEADERS,
        "allow_credentials": False,
        "max_age": MAX_AGE_SECONDS,
    }


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, but a preflight it would refuse with a bare `400 text/plain` is answered with a 400
    problem saying what was refused (the origin, the method, which request headers), with the preflight
    headers Starlette sends. Every preflight, refused or allowed, is answered here, before the app: so it
    gets its request id and its access-log line here too. CORS on other answers is Starlette's."""

    def __init__(self, app: ASGIApp, /, access_log: AccessLog | None = None, **options: Any) -> None:
        super().__init__(app, **options)
        self._preflight = RequestIdMiddleware(self._answer_preflight, access_log=access_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                await self._preflight(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    async def _answer_preflight(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        refused = self.preflight_refusals(headers)
        if refused:
            error = BadRequest(
                "CORS preflight refused: " + "; ".join(refused), headers=dict(self.preflight_headers)
            )
            await send_problem(scope, receive, send, error, scope["state"]["request_id"])
            return
        await self.preflight_response(request_headers=headers)(scope, receive, send)

    def preflight_refusals(self, request_headers: Headers) -> list[str]:
        """What of a preflight is not allowed, one phrase each; none when allowed. The same checks as
        Starlette's `preflight_response`, which answers the preflights allowed here."""
        refused = []
        origin = request_headers["origin"]
        if not self.is_allowed_origin(origin=origin):
            refused.append(f"the origin {origin} is not allowed")
        method = request_headers["access-control-request-method"]
        if method not in self.allow_methods:
            refused.append(f"the method {method} is not allowed (allowed: {', '.join(self.allow_methods)})")
        requested = request_headers.get("access-control-request-headers")
        if requested is not None and not self.allow_all_headers:
            names = [name.strip() for name in requested.lower().split(",")]
            unknown = list(dict.fromkeys(name for name in names if name not in self.allow_headers))
            if unknown:
                allowed = self.preflight_headers.get("Access-Control-Allow-Headers", "none")
                listed = ", ".join(name or "(an empty name)" for name in unknown)
                which = "header {} is" if len(unknown) == 1 else "headers {} are"
                refused.append(f"the request {which.format(listed)} not allowed (allowed: {allowed})")
        if "access-control-request-private-network" in request_headers and not self.allow_private_network:
            refused.append("access to a private network is not allowed")
        return refused

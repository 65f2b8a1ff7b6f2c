"""`GatewayApp`: the gateway's FastAPI app with the proxy path in front of it."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.routing import match


class GatewayApp(FastAPI):
    """FastAPI for the gateway's own endpoints; requests for routed paths bypass it entirely.

    A routed request goes straight to the raw ASGI proxy, skipping FastAPI's and Starlette's
    per-request machinery (telemetry check, error and body-limit middlewares, the router), which would
    cost more than the proxy itself. Everything else (admin API, status, docs, health, metrics, and
    the 404 for unknown paths) is served by FastAPI as usual.
    """

    proxied: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.proxied is not None and scope["type"] == "http" and match(scope["path"]) is not None:
            await self.proxied(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

"""httpx clients for service-to-service calls: pooled, time-limited, signed, carrying the request id."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI, Request
from prm_contracts.principal import INTERNAL_SCOPE, Principal
from prm_contracts.problem import ServiceUnavailable

from prm_kit.internal_auth import INTERNAL_HEADER, sign_principal
from prm_kit.request_id import REQUEST_ID_HEADER, current_request_id

# How soon a caller may try again when a request needed another service that could not answer.
NEIGHBOUR_RETRY_AFTER_SECONDS = 5


def cannot_ask(neighbour: str, about: str) -> ServiceUnavailable:
    """The 503 of a request that needs `neighbour`'s answer (`about` what) when it cannot be had: nothing was
    stored, and the caller may retry after `NEIGHBOUR_RETRY_AFTER_SECONDS`."""
    return ServiceUnavailable(
        f"the {neighbour} cannot be asked about {about} right now; nothing was stored, retry later",
        headers={"Retry-After": str(NEIGHBOUR_RETRY_AFTER_SECONDS)},
    )


class InternalAuth(httpx.Auth):
    """Signs each outgoing call as this service (a short-lived token, re-signed when near expiry)."""

    def __init__(self, service: str, secret: str) -> None:
        self._principal = Principal(subject=f"service:{service}", scopes=frozenset({INTERNAL_SCOPE}))
        self._secret = secret
        self._token = ""
        self._expires_at = 0.0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        import time

        now = time.time()
        if now > self._expires_at - 30:
            self._token = sign_principal(self._principal, self._secret, ttl_seconds=300)
            self._expires_at = now + 300
        request.headers[INTERNAL_HEADER] = self._token
        request_id = current_request_id.get()
        if request_id:
            request.headers[REQUEST_ID_HEADER] = request_id
        yield request


def service_http_client(
    base_url: str,
    *,
    service: str,
    secret: str,
    timeout: float = 5.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """`transport` replaces the network (tests pass an `httpx.MockTransport` standing in for the service)."""
    return httpx.AsyncClient(
        base_url=base_url,
        auth=InternalAuth(service, secret),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        transport=transport,
    )


Client = TypeVar("Client")


@asynccontextmanager
async def client_on_app_state(
    app: FastAPI, name: str, *, base_url: str, caller: str, make: Callable[[httpx.AsyncClient], Client]
) -> AsyncIterator[Client]:
    """`app.state.<name>`: `make(http)` over a pooled client of another service, signed as `caller` with the
    settings' secret and timeout, for the app's lifetime (an `extra_lifespan`). A test sets
    `app.state.<name>_transport` to stand in for that service at the HTTP boundary."""
    settings = app.state.settings
    async with service_http_client(
        base_url,
        service=caller,
        secret=settings.internal_secret.get_secret_value(),
        timeout=settings.http_timeout_seconds,
        transport=getattr(app.state, f"{name}_transport", None),
    ) as http:
        client = make(http)
        setattr(app.state, name, client)
        try:
            yield client
        finally:
            setattr(app.state, name, None)


def from_app_state(name: str) -> Callable[[Request], Any]:
    """A dependency answering `app.state.<name>` (a client `client_on_app_state` put there)."""

    def on_state(request: Request) -> Any:
        return getattr(request.app.state, name)

    return on_state

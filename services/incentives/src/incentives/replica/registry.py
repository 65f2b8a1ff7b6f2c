"""The registry client incentives asks whether a partner exists when its replica has not heard of it (yet),
owned by the app's lifespan.

A test passes `registry_transport` to `create_app` to stand in for the registry at the HTTP boundary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from prm_contracts.clients.registry import RegistryClient
from prm_kit.http_clients import service_http_client

SERVICE_NAME = "incentives"


@asynccontextmanager
async def registry_client_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """`app.state.registry`: a pooled, signed client for the app's lifetime."""
    settings = app.state.settings
    async with service_http_client(
        settings.registry_url,
        service=SERVICE_NAME,
        secret=settings.internal_secret.get_secret_value(),
        timeout=settings.http_timeout_seconds,
        transport=getattr(app.state, "registry_transport", None),
    ) as http:
        app.state.registry = RegistryClient(http)
        try:
            yield
        finally:
            app.state.registry = None


def registry_client(request: Request) -> RegistryClient:
    client: RegistryClient = request.app.state.registry
    return client


RegistryDep = Annotated[RegistryClient, Depends(registry_client)]

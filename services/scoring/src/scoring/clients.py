"""Clients of the other services scoring calls, owned by the app's lifespan.

The registry answers who a partner is (the facts its gates read), its compliance summary, certifications and
the tier ladder; analytics answers KPI snapshots. A test passes `registry_transport` / `analytics_transport` to
`create_app` to stand in for them at the HTTP boundary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from prm_contracts.clients.analytics import AnalyticsClient
from prm_contracts.clients.registry import RegistryClient
from prm_kit.http_clients import service_http_client

from scoring.config import Settings

SERVICE_NAME = "scoring"


@asynccontextmanager
async def service_clients(app: FastAPI) -> AsyncIterator[None]:
    """`app.state.registry`, `app.state.analytics`: pooled, signed clients for the app's lifetime."""
    settings: Settings = app.state.settings
    secret = settings.internal_secret.get_secret_value()
    async with (
        service_http_client(
            settings.registry_url,
            service=SERVICE_NAME,
            secret=secret,
            timeout=settings.http_timeout_seconds,
            transport=getattr(app.state, "registry_transport", None),
        ) as registry_http,
        service_http_client(
            settings.analytics_url,
            service=SERVICE_NAME,
            secret=secret,
            timeout=settings.http_timeout_seconds,
            transport=getattr(app.state, "analytics_transport", None),
        ) as analytics_http,
    ):
        app.state.registry = RegistryClient(registry_http)
        app.state.analytics = AnalyticsClient(analytics_http)
        try:
            yield
        finally:
            app.state.registry = None
            app.state.analytics = None


def registry_client(request: Request) -> RegistryClient:
    client: RegistryClient = request.app.state.registry
    return client


RegistryDep = Annotated[RegistryClient, Depends(registry_client)]


def analytics_client(request: Request) -> AnalyticsClient:
    client: AnalyticsClient = request.app.state.analytics
    return client


AnalyticsDep = Annotated[AnalyticsClient, Depends(analytics_client)]

"""The analytics client calculation runs read FX rates and targets with, owned by the app's lifespan.

A test passes `analytics_transport` to `create_app` to stand in for analytics at the HTTP boundary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from prm_contracts.clients.analytics import AnalyticsClient
from prm_kit.http_clients import service_http_client

SERVICE_NAME = "incentives"


@asynccontextmanager
async def analytics_client_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """`app.state.analytics`: a pooled, signed client for the app's lifetime."""
    settings = app.state.settings
    async with service_http_client(
        settings.analytics_url,
        service=SERVICE_NAME,
        secret=settings.internal_secret.get_secret_value(),
        timeout=settings.http_timeout_seconds,
        transport=getattr(app.state, "analytics_transport", None),
    ) as http:
        app.state.analytics = AnalyticsClient(http)
        try:
            yield
        finally:
            app.state.analytics = None


def analytics_client(request: Request) -> AnalyticsClient:
    client: AnalyticsClient = request.app.state.analytics
    return client


AnalyticsDep = Annotated[AnalyticsClient, Depends(analytics_client)]

"""Clients of the other services incentives calls, owned by the app's lifespan.

Analytics answers the FX rates and targets calculation runs convert with; the registry answers whether a
partner exists when the replica has not heard of it (yet). A test passes `analytics_transport` /
`registry_transport` to `create_app` to stand in for them at the HTTP boundary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI
from prm_contracts.clients.analytics import AnalyticsClient
from prm_contracts.clients.registry import RegistryClient
from prm_kit.http_clients import client_on_app_state, from_app_state

from incentives.config import Settings

SERVICE_NAME = "incentives"


@asynccontextmanager
async def service_clients(app: FastAPI) -> AsyncIterator[None]:
    """`app.state.analytics`, `app.state.registry`: pooled, signed clients for the app's lifetime."""
    settings: Settings = app.state.settings
    async with (
        client_on_app_state(
            app, "analytics", base_url=settings.analytics_url, caller=SERVICE_NAME, make=AnalyticsClient
        ),
        client_on_app_state(
            app, "registry", base_url=settings.registry_url, caller=SERVICE_NAME, make=RegistryClient
        ),
    ):
        yield


AnalyticsDep = Annotated[AnalyticsClient, Depends(from_app_state("analytics"))]
RegistryDep = Annotated[RegistryClient, Depends(from_app_state("registry"))]

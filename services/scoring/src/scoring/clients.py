"""Clients of the other services scoring calls, owned by the app's lifespan.

The registry answers who a partner is (the facts its gates read), its compliance summary, certifications and
the tier ladder; analytics answers KPI snapshots. A test passes `registry_transport` / `analytics_transport` to
`create_app` to stand in for them at the HTTP boundary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI
from prm_contracts.clients.analytics import AnalyticsClient
from prm_contracts.clients.registry import RegistryClient
from prm_kit.http_clients import client_on_app_state, from_app_state

from scoring.config import Settings

SERVICE_NAME = "scoring"


@asynccontextmanager
async def service_clients(app: FastAPI) -> AsyncIterator[None]:
    """`app.state.registry`, `app.state.analytics`: pooled, signed clients for the app's lifetime."""
    settings: Settings = app.state.settings
    async with (
        client_on_app_state(
            app, "registry", base_url=settings.registry_url, caller=SERVICE_NAME, make=RegistryClient
        ),
        client_on_app_state(
            app, "analytics", base_url=settings.analytics_url, caller=SERVICE_NAME, make=AnalyticsClient
        ),
    ):
        yield


RegistryDep = Annotated[RegistryClient, Depends(from_app_state("registry"))]
AnalyticsDep = Annotated[AnalyticsClient, Depends(from_app_state("analytics"))]

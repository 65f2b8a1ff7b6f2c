"""Clients of the other services the registry calls, owned by the app's lifespan.

Scoring screens partner applications (`ScoringClient.prequalify`, `.evaluate_application`). A test passes
`scoring_transport` to `create_app` to stand in for scoring at the HTTP boundary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from prm_contracts.clients.scoring import ScoringClient
from prm_kit.http_clients import service_http_client

from partner_registry.config import Settings

SERVICE_NAME = "partner-registry"


@asynccontextmanager
async def service_clients(app: FastAPI) -> AsyncIterator[None]:
    """`app.state.scoring`: a pooled, signed client of scoring for the app's lifetime."""
    settings: Settings = app.state.settings
    async with service_http_client(
        settings.scoring_url,
        service=SERVICE_NAME,
        secret=settings.internal_secret.get_secret_value(),
        timeout=settings.http_timeout_seconds,
        transport=getattr(app.state, "scoring_transport", None),
    ) as http:
        app.state.scoring = ScoringClient(http)
        try:
            yield
        finally:
            app.state.scoring = None


def scoring_client(request: Request) -> ScoringClient:
    client: ScoringClient = request.app.state.scoring
    return client


ScoringDep = Annotated[ScoringClient, Depends(scoring_client)]

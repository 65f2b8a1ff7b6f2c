"""Clients of the other services the registry calls, owned by the app's lifespan.

Scoring screens partner applications (`ScoringClient.prequalify`, `.evaluate_application`). A test passes
`scoring_transport` to `create_app` to stand in for scoring at the HTTP boundary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI
from prm_contracts.clients.scoring import ScoringClient
from prm_kit.http_clients import client_on_app_state, from_app_state

from partner_registry.config import Settings

SERVICE_NAME = "partner-registry"


@asynccontextmanager
async def service_clients(app: FastAPI) -> AsyncIterator[None]:
    """`app.state.scoring`: a pooled, signed client of scoring for the app's lifetime."""
    settings: Settings = app.state.settings
    async with client_on_app_state(
        app, "scoring", base_url=settings.scoring_url, caller=SERVICE_NAME, make=ScoringClient
    ):
        yield


ScoringDep = Annotated[ScoringClient, Depends(from_app_state("scoring"))]

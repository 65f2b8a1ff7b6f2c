"""The Scoring service: `create_app(settings)` for uvicorn's factory mode and for tests.

Evaluation models (versioned criteria, gates, grade bands), assessments of partners with explained scores,
and the screening of partner applications the registry asks for.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from prm_kit.app import create_service_app
from prm_kit.inbox import events_router

from scoring.assessments.router import router as assessments_router
from scoring.clients import service_clients
from scoring.config import Settings
from scoring.evaluation_models.router import router as evaluation_models_router
from scoring.events import mark_partner_stale
from scoring.health.router import router as health_router
from scoring.improvement_plans.router import router as improvement_plans_router
from scoring.scores.router import router as scores_router
from scoring.scores.worker import refresh_while_running
from scoring.screening.router import router as screening_router
from scoring.tier_recommendations.router import router as tier_recommendations_router

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

OPENAPI_TAGS = [
    {
        "name": "scores",
        "description": "The score API internal systems call: a partner's latest evaluation, health and tier "
        "standing, precomputed and refreshed by events (registry changes, new KPIs), one at a time with an ETag "
        "or up to 10,000 at once.",
    },
    {
        "name": "health-signals",
        "description": "Partners at risk: revenue declining, target attainment low, NPS dropping, "
        "certifications expiring, no recent sales, open compliance violations; each signal with its reason, "
        "severity and the values it compared.",
    },
    {
        "name": "tier-recommendations",
        "description": "Each partner against the registry's tier ladder: promote, keep or demote with the "
        "reasons, the gap to the next tier and the demotion risk; applied by a channel manager through the "
        "registry's tier change.",
    },
    {
        "name": "evaluation-models",
        "description": "Named, versioned evaluation models: weighted criteria over the six dimensions (or "
        "custom ones) with how each raw input becomes 0-100, the gates (minimum requirements) and the grade "
        "bands. Draft → published; a published version never changes, a change is a new version.",
    },
    {
        "name": "assessments",
        "description": "Partners assessed under a published model version: total, grade, gate results and "
        "each criterion's contribution, kept with the version that produced them; a partner's history; "
        "what-if re-scoring under another version.",
    },
    {
        "name": "improvement-plans",
        "description": "Improvement plans for a partner: goals as (KPI, target, due date), an owner and notes; "
        "each goal's progress (on track, off track, met, missed) read from analytics' KPI snapshots; closed as "
        "succeeded or failed.",
    },
]


@asynccontextmanager
async def _clients_and_refresh_worker(app: FastAPI) -> AsyncIterator[None]:
    async with service_clients(app), refresh_while_running(app):
        yield


def create_app(
    settings: Settings | None = None,
    *,
    registry_transport: httpx.AsyncBaseTransport | None = None,
    analytics_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`registry_transport` / `analytics_transport` stand in for the network to the registry / analytics
    (tests pass an `httpx.MockTransport`)."""
    app = create_service_app(
        settings or Settings(),
        title="PRM Scoring",
        description=__doc__ or "",
        routers=[
            evaluation_models_router,
            assessments_router,
            screening_router,
            improvement_plans_router,
            scores_router,
            health_router,
            tier_recommendations_router,
            events_router(mark_partner_stale),
        ],
        migrations_dir=MIGRATIONS_DIR,
        openapi_tags=OPENAPI_TAGS,
        extra_lifespan=_clients_and_refresh_worker,
    )
    app.state.registry_transport = registry_transport
    app.state.analytics_transport = analytics_transport
    return app

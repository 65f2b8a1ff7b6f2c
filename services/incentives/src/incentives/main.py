"""The Incentives service: `create_app(settings)` for uvicorn's factory mode and for tests."""

from pathlib import Path

import httpx
from fastapi import FastAPI
from prm_kit.app import create_service_app
from prm_kit.inbox import events_router

from incentives.adjustments.router import router as adjustments_router
from incentives.backtests.router import router as backtests_router
from incentives.calculation_runs.router import router as calculation_runs_router
from incentives.clients import service_clients
from incentives.config import Settings
from incentives.events import replica_event_handler
from incentives.mdf.router import router as mdf_router
from incentives.payables.router import router as payables_router
from incentives.programmes.router import router as programmes_router
from incentives.statements.router import router as statements_router

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

# What each tag groups, for the docs and generated clients (Redocly's `tag-description`).
OPENAPI_TAGS = [
    {
        "name": "programmes",
        "description": "Incentive programmes (rebates, volume bonuses, accelerators, SPIFFs, caps, floors, "
        "budgets, MDF accrual) and their versions: a draft is edited, a published version never changes.",
    },
    {
        "name": "calculation-runs",
        "description": "A programme's payouts for a period, computed from the sales lines: draft → approved "
        "→ paid, each partner's payout traceable to the lines and rules behind it; the same inputs give "
        "the same result.",
    },
    {
        "name": "adjustments",
        "description": "Corrections of a partner's payout of a programme period: manual ones, and the "
        "clawbacks and deltas runs write for locked periods.",
    },
    {
        "name": "statements",
        "description": "A partner's statement of a period: every programme's payout, its adjustments and "
        "lines, as JSON, CSV or printable HTML.",
    },
    {
        "name": "payables",
        "description": "What is owed to each partner: earned, approved, on hold and paid, as JSON or CSV.",
    },
    {
        "name": "backtests",
        "description": "What-if comparisons of two programme versions on a past period, storing nothing.",
    },
    {
        "name": "mdf",
        "description": "Market development funds: budgets, allocations to partners, requests for activities, "
        "and claims against approved requests.",
    },
]


def create_app(
    settings: Settings | None = None,
    *,
    analytics_transport: httpx.AsyncBaseTransport | None = None,
    registry_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`analytics_transport` / `registry_transport` stand in for the network to analytics / the registry (tests
    pass an `httpx.MockTransport`)."""
    app = create_service_app(
        settings or Settings(),
        title="PRM Incentives",
        description=__doc__ or "",
        openapi_tags=OPENAPI_TAGS,
        routers=[
            programmes_router,
            calculation_runs_router,
            adjustments_router,
            statements_router,
            payables_router,
            backtests_router,
            mdf_router,
        ],
        migrations_dir=MIGRATIONS_DIR,
        extra_lifespan=service_clients,
    )
    app.state.analytics_transport = analytics_transport
    app.state.registry_transport = registry_transport
    app.include_router(events_router(replica_event_handler()))
    return app

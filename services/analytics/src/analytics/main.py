"""The Analytics service: `create_app(settings)` for uvicorn's factory mode and for tests."""

from pathlib import Path

import httpx
from fastapi import FastAPI
from prm_kit.app import create_service_app
from prm_kit.inbox import events_router

from analytics.acquisition_spend.router import router as acquisition_spend_router
from analytics.anomalies.router import router as anomaly_flags_router
from analytics.config import Settings
from analytics.ecosystem.router import leaderboard_router
from analytics.ecosystem.router import router as ecosystem_router
from analytics.events import registry_event_handler
from analytics.exports.router import router as exports_router
from analytics.fx.router import internal_router as internal_fx_router
from analytics.fx.router import router as fx_router
from analytics.kpis.router import internal_router as internal_kpis_router
from analytics.kpis.router import router as kpis_router
from analytics.market_sizes.router import router as market_sizes_router
from analytics.sales.receipts import receipts_kept
from analytics.sales.router import router as sales_lines_router
from analytics.sales.router import webhook_router as sales_webhook_router
from analytics.sales.secrets import registry_clients
from analytics.sales_imports.router import router as sales_imports_router
from analytics.surveys.router import router as surveys_router
from analytics.targets.router import internal_router as internal_targets_router
from analytics.targets.router import router as targets_router

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

# What each tag groups, for the docs and generated clients (Redocly's `tag-description`).
OPENAPI_TAGS = [
    {
        "name": "sales-webhooks",
        "description": "Sales data partner systems push, signed per Standard Webhooks with the partner's secret "
        "(no API key): verified, de-duplicated by webhook id and by each line's external id, stored in one "
        "transaction.",
    },
    {
        "name": "sales",
        "description": "The stored sales lines (sales, returns, credit notes) and CSV imports of them, with "
        "the same checks and de-duplication as the webhook.",
    },
    {
        "name": "fx-rates",
        "description": "Date-effective FX rates, loaded as JSON or CSV; the rate a conversion on a given day "
        "uses.",
    },
    {
        "name": "targets",
        "description": "Partners' targets per metric and period, against which attainment is measured.",
    },
    {
        "name": "market-sizes",
        "description": "Market size per region, segment and period, the denominator of market share.",
    },
    {"name": "surveys", "description": "Survey results (NPS, CSAT) about partners, behind their KPIs."},
    {
        "name": "acquisition-spend",
        "description": "What a partner spent acquiring customers in a period, behind customer acquisition "
        "cost.",
    },
    {
        "name": "kpis",
        "description": "A partner's KPI snapshot: revenue, growth, market share, acquisition cost, retention, "
        "NPS/CSAT, target attainment; each value with why it is null when it cannot be computed.",
    },
    {
        "name": "anomaly-flags",
        "description": "Sales lines the anomaly guard flagged (volume spikes, returns without a sale, repeated "
        "lines, own-domain customers), open until reviewed as confirmed or dismissed.",
    },
    {
        "name": "ecosystem",
        "description": "The ecosystem as a whole, for vendor credentials: leaderboards, revenue by segment, "
        "concentration, monthly time series and activation cohorts.",
    },
    {
        "name": "exports",
        "description": "Every list and KPI view as a streamed CSV file, with the filters of the JSON view it "
        "mirrors.",
    },
]


def create_app(
    settings: Settings | None = None, *, registry_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`registry_transport` stands in for the network to the registry (tests pass an `httpx.MockTransport`)."""
    settings = settings or Settings()
    app = create_service_app(
        settings,
        title="PRM Analytics",
        description=__doc__ or "",
        openapi_tags=OPENAPI_TAGS,
        routers=[
            sales_webhook_router,
            sales_lines_router,
            sales_imports_router,
            fx_router,
            internal_fx_router,
            targets_router,
            internal_targets_router,
            market_sizes_router,
            surveys_router,
            acquisition_spend_router,
            kpis_router,
            internal_kpis_router,
            anomaly_flags_router,
            leaderboard_router,
            ecosystem_router,
            exports_router,
        ],
        migrations_dir=MIGRATIONS_DIR,
        extra_lifespan=registry_clients,
        kept_for=[receipts_kept(settings)],
    )
    app.state.registry_transport = registry_transport
    # The event handler reaches the app's state (the webhook-secret cache), so it is mounted once the app exists.
    app.include_router(events_router(registry_event_handler(app)))
    return app

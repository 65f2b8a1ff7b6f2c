"""The Partner registry service: `create_app(settings)` for uvicorn's factory mode and for tests.

The system of record of partners: who they are, where they are in their lifecycle, who to talk to there,
and every change made to them.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from prm_kit.app import create_service_app

from partner_registry.agreements.router import router as agreements_router
from partner_registry.agreements.service import expire_ended as expire_ended_agreements
from partner_registry.applications.router import router as applications_router
from partner_registry.certifications.router import expiring_router as expiring_certifications_router
from partner_registry.certifications.router import router as certifications_router
from partner_registry.clients import service_clients
from partner_registry.compliance.router import router as compliance_router
from partner_registry.config import Settings
from partner_registry.conflicts.router import router as conflicts_router
from partner_registry.contacts.router import router as contacts_router
from partner_registry.deal_registrations.protection import expire_due as expire_due_deal_registrations
from partner_registry.deal_registrations.router import router as deal_registrations_router
from partner_registry.house_accounts.router import router as house_accounts_router
from partner_registry.onboarding.router import router as onboarding_router
from partner_registry.partners.router import router as partners_router
from partner_registry.sweeps import Sweep, periodic_sweeps
from partner_registry.territories.router import conflicts_router as territory_conflicts_router
from partner_registry.territories.router import router as territories_router
from partner_registry.tiers.router import partner_tiers_router
from partner_registry.tiers.router import router as tiers_router
from partner_registry.webhook_secrets.router import internal_router as internal_webhook_secrets_router
from partner_registry.webhook_secrets.router import router as webhook_secrets_router

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

OPENAPI_TAGS = [
    {
        "name": "partners",
        "description": "Partners: registration, search, updates (with `ETag`/`If-Match`), the lifecycle "
        "(prospect → applied → onboarding → active ⇄ suspended → terminated) and the history of every change.",
    },
    {
        "name": "contacts",
        "description": "The people to talk to at a partner; at most one primary contact per partner.",
    },
    {
        "name": "territories",
        "description": "Where partners sell: a country, optionally one region of it and one customer segment, "
        "exclusive or not. Overlaps with another partner's territory where either is exclusive are stored, "
        "flagged and listed as territory conflicts.",
    },
    {
        "name": "deal-registrations",
        "description": "Partners register opportunities; the registry checks them for conflicts (same customer "
        "by domain or fuzzy name, overlapping products, house accounts, exclusive territories), approves them "
        "or routes them to review, protects approved ones for a time (with one extension), records the "
        "outcome and expires the rest (pending_review → approved | rejected; approved → won | lost | expired).",
    },
    {
        "name": "house-accounts",
        "description": "Customers the vendor sells to directly; partners' registrations for them go to review. "
        "For the vendor's channel team only.",
    },
    {
        "name": "tiers",
        "description": "The tier ladder (Registered, Silver, Gold, Platinum by default) with each tier's "
        "requirements and benefits, partners' tier changes (by hand or applying a scoring recommendation) "
        "and their tier history.",
    },
    {
        "name": "certifications",
        "description": "Certificates of partners and their people, and the ones about to expire.",
    },
    {
        "name": "compliance",
        "description": "Compliance audits and policy violations of partners, and the summary of facts "
        "scoring and analytics judge compliance by.",
    },
    {
        "name": "agreements",
        "description": "The agreements partners work under; an active partner needs a current one.",
    },
    {
        "name": "applications",
        "description": "Applications to become a partner: submission registers the applicant as `applied`, "
        "scoring screens it (pre-qualification gates, evaluation score), approval starts its onboarding.",
    },
    {
        "name": "onboarding",
        "description": "A partner's onboarding checklist (who completed what, when) and the completion that "
        "makes it active.",
    },
    {
        "name": "conflict-cases",
        "description": "Channel-conflict cases: parties, root causes, the reported → under review → mediation → "
        "arbitration → ruled → closed workflow with its steps, and statistics on how often and why.",
    },
    {
        "name": "webhook-secrets",
        "description": "Partners' Standard Webhooks signing secrets: issued and rotated with an overlap, shown "
        "once.",
    },
]


@asynccontextmanager
async def background_work(app: FastAPI) -> AsyncIterator[None]:
    """What the app holds for its lifetime beside the engine: clients of other services, the expiry sweeps
    of deal registrations and agreements."""
    settings: Settings = app.state.settings
    sweeps = [
        Sweep("deal_expiry", expire_due_deal_registrations, settings.deal_expiry_sweep_seconds),
        Sweep("agreement_expiry", expire_ended_agreements, settings.agreement_expiry_sweep_seconds),
    ]
    async with service_clients(app), periodic_sweeps(app, sweeps):
        yield


def create_app(
    settings: Settings | None = None, *, scoring_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`scoring_transport` stands in for the network to scoring (tests pass an `httpx.MockTransport`)."""
    app = create_service_app(
        settings or Settings(),
        title="PRM Partner registry",
        description=__doc__ or "",
        routers=[
            partners_router,
            contacts_router,
            territories_router,
            territory_conflicts_router,
            deal_registrations_router,
            house_accounts_router,
            tiers_router,
            partner_tiers_router,
            certifications_router,
            expiring_certifications_router,
            compliance_router,
            agreements_router,
            applications_router,
            onboarding_router,
            conflicts_router,
            webhook_secrets_router,
            internal_webhook_secrets_router,
        ],
        migrations_dir=MIGRATIONS_DIR,
        openapi_tags=OPENAPI_TAGS,
        extra_lifespan=background_work,
    )
    app.state.scoring_transport = scoring_transport
    return app

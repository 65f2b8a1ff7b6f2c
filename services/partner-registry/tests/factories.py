"""Small helpers that arrange partners, contacts and their records through the API, and look at what was
stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from partner_registry.applications.models import PartnerApplication
from partner_registry.conflicts.models import (
    ConflictCase,
    ConflictCaseParty,
    ConflictCaseRootCause,
    ConflictCaseStep,
)
from partner_registry.deal_registrations.models import (
    DealRegistration,
    DealRegistrationConflict,
    DealRegistrationHistoryEntry,
    DealRegistrationNameToken,
)
from partner_registry.house_accounts.models import HouseAccount, HouseAccountNameToken
from partner_registry.models import (
    Agreement,
    Certification,
    ComplianceAudit,
    ComplianceViolation,
    Contact,
    Partner,
    PartnerHistoryEntry,
    PartnerSpecialisation,
    PartnerTierChange,
    Tier,
)
from partner_registry.onboarding.models import OnboardingChecklist, OnboardingChecklistItem
from partner_registry.territories.models import Territory, TerritoryConflict
from partner_registry.webhook_secrets.models import PartnerWebhookSecret
from prm_contracts.dates import utc_today
from prm_contracts.principal import Principal
from prm_kit.idempotency import idempotency_record
from prm_kit.outbox import outbox_event
from prm_kit.testing import internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

CHANNEL_MANAGER = Principal(subject="user:cm-anna", scopes=frozenset({"partners:write"}))
ANALYST = Principal(subject="user:analyst-ben", scopes=frozenset({"partners:read"}))
OUTSIDER = Principal(subject="key:deals-only", scopes=frozenset({"deals:write"}))


def partner_user(partner: dict[str, Any], *scopes: str) -> Principal:
    """A credential bound to `partner` (by default allowed to read and write partners)."""
    return Principal(
        subject=f"key:partner-{partner['id'][:8]}",
        scopes=frozenset(scopes or {"partners:write"}),
        partner_id=uuid.UUID(partner["id"]),
    )


def signed_as(principal: Principal) -> dict[str, str]:
    """Headers that make one request come from `principal`."""
    return internal_headers(principal)


def partner_body(**fields: Any) -> dict[str, Any]:
    """A valid PartnerIn body with a registration number no other partner has."""
    body: dict[str, Any] = {
        "legal_name": "Acme Networks GmbH",
        "display_name": "Acme Networks",
        "partner_type": "reseller",
        "country": "DE",
        "region": "DACH",
        "registration_number": f"HRB {uuid.uuid4().int % 10**9}",
    }
    body.update(fields)
    return body


async def a_partner(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v1/partners", json=partner_body(**fields))
    assert response.status_code == 201, response.text
    partner: dict[str, Any] = response.json()
    return partner


LIFECYCLE_PATH = ["applied", "onboarding", "active"]


async def moved_to(client: httpx.AsyncClient, partner: dict[str, Any], status: str) -> dict[str, Any]:
    """The partner after walking it from prospect to `status` (active, then suspended, or terminated)."""
    steps = {
        "prospect": [],
        "applied": ["applied"],
        "onboarding": ["applied", "onboarding"],
        "active": LIFECYCLE_PATH,
        "suspended": [*LIFECYCLE_PATH, "suspended"],
        "terminated": ["terminated"],
    }[status]
    for step in steps:
        if step == "active":  # an active partner needs a current agreement and its onboarding done
            await a_current_agreement(client, partner)
            await a_complete_checklist(client, partner)
        response = await client.post(
            f"/v1/partners/{partner['id']}/status-transitions",
            json={"to_status": step, "reason": f"test: to {step}"},
        )
        assert response.status_code == 201, response.text
        partner = response.json()["partner"]
    return partner


def contact_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Anna Berg", "email": "anna.berg@acme.example", "role": "sales"}
    body.update(fields)
    return body


async def a_contact(client: httpx.AsyncClient, partner: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = await client.post(f"/v1/partners/{partner['id']}/contacts", json=contact_body(**fields))
    assert response.status_code == 201, response.text
    contact: dict[str, Any] = response.json()
    return contact


async def stored_counts(session: AsyncSession) -> dict[str, int]:
    """How many rows each table of the registry holds: compared before and after a refused request."""
    counts = {}
    for name, table in {
        "partner": Partner.__table__,
        "partner_specialisation": PartnerSpecialisation.__table__,
        "partner_history_entry": PartnerHistoryEntry.__table__,
        "contact": Contact.__table__,
        "tier": Tier.__table__,
        "partner_tier_change": PartnerTierChange.__table__,
        "certification": Certification.__table__,
        "compliance_audit": ComplianceAudit.__table__,
        "compliance_violation": ComplianceViolation.__table__,
        "agreement": Agreement.__table__,
        "territory": Territory.__table__,
        "territory_conflict": TerritoryConflict.__table__,
        "house_account": HouseAccount.__table__,
        "house_account_name_token": HouseAccountNameToken.__table__,
        "deal_registration": DealRegistration.__table__,
        "deal_registration_conflict": DealRegistrationConflict.__table__,
        "deal_registration_name_token": DealRegistrationNameToken.__table__,
        "deal_registration_history_entry": DealRegistrationHistoryEntry.__table__,
        "partner_application": PartnerApplication.__table__,
        "onboarding_checklist": OnboardingChecklist.__table__,
        "onboarding_checklist_item": OnboardingChecklistItem.__table__,
        "conflict_case": ConflictCase.__table__,
        "conflict_case_party": ConflictCaseParty.__table__,
        "conflict_case_root_cause": ConflictCaseRootCause.__table__,
        "conflict_case_step": ConflictCaseStep.__table__,
        "partner_webhook_secret": PartnerWebhookSecret.__table__,
        "outbox_event": outbox_event,
        "idempotency_record": idempotency_record,
    }.items():
        counts[name] = await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
    return counts


async def stored_partner(session: AsyncSession, partner_id: str) -> Partner | None:
    partner: Partner | None = await session.scalar(
        sa.select(Partner)
        .where(Partner.id == uuid.UUID(partner_id))
        .execution_options(populate_existing=True)
    )
    return partner


async def outbox_payloads(session: AsyncSession, event_type: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        sa.select(outbox_event.c.payload)
        .where(outbox_event.c.type == event_type)
        .order_by(outbox_event.c.occurred_at)
    )
    return [row.payload for row in rows]


async def history(client: httpx.AsyncClient, partner: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/partners/{partner['id']}/history", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# --- tiers, certifications, compliance, agreements --------------------------------------------------------

TIER_ADMIN = Principal(subject="user:programme-owner", scopes=frozenset({"tiers:write"}))
TIER_READER = Principal(subject="user:tier-reader", scopes=frozenset({"tiers:read"}))


def days_from_today(days: int) -> str:
    """An ISO date `days` days from today (UTC); negative for the past."""
    return (utc_today() + timedelta(days=days)).isoformat()


def tier_body(**fields: Any) -> dict[str, Any]:
    """A valid TierIn body, on a rank the default ladder (1-4) leaves free."""
    body: dict[str, Any] = {
        "key": "diamond",
        "name": "Diamond",
        "rank": 10,
        "requirements": {
            "min_trailing_12m_revenue": {"amount": "10000000", "currency": "EUR"},
            "min_certified_staff": 20,
            "criteria": [{"name": "Executive sponsor", "description": "A named executive on each side."}],
        },
        "benefits": {
            "description": "Everything in Platinum.",
            "discount_percent": "20",
            "rebate_percent": "4.5",
        },
    }
    body.update(fields)
    return body


async def a_tier(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v1/tiers", json=tier_body(**fields), headers=signed_as(TIER_ADMIN))
    assert response.status_code == 201, response.text
    tier: dict[str, Any] = response.json()
    return tier


def agreement_body(**fields: Any) -> dict[str, Any]:
    """A signed, active, open-ended reseller agreement that started 30 days ago: a current agreement."""
    body: dict[str, Any] = {
        "agreement_type": "reseller",
        "status": "active",
        "signed_on": days_from_today(-35),
        "starts_on": days_from_today(-30),
    }
    body.update(fields)
    return body


async def an_agreement(client: httpx.AsyncClient, partner: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = await client.post(f"/v1/partners/{partner['id']}/agreements", json=agreement_body(**fields))
    assert response.status_code == 201, response.text
    agreement: dict[str, Any] = response.json()
    return agreement


async def a_current_agreement(client: httpx.AsyncClient, partner: dict[str, Any]) -> dict[str, Any]:
    return await an_agreement(client, partner)


def certification_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "programme": "Network Security Specialist",
        "level": "Professional",
        "issued_on": days_from_today(-100),
        "expires_on": days_from_today(265),
    }
    body.update(fields)
    return body


async def a_certification(
    client: httpx.AsyncClient, partner: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/partners/{partner['id']}/certifications", json=certification_body(**fields)
    )
    assert response.status_code == 201, response.text
    certification: dict[str, Any] = response.json()
    return certification


def audit_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "audited_on": days_from_today(-10),
        "auditor": "Channel Assurance GmbH",
        "scope": "Deal registrations and MDF claims of the last year",
        "outcome": "passed",
    }
    body.update(fields)
    return body


async def an_audit(client: httpx.AsyncClient, partner: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = await client.post(f"/v1/partners/{partner['id']}/compliance/audits", json=audit_body(**fields))
    assert response.status_code == 201, response.text
    audit: dict[str, Any] = response.json()
    return audit


def violation_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "policy": "Deal registration policy §4",
        "finding": "Registered deals for customers outside its territory",
        "severity": "medium",
        "opened_on": days_from_today(-5),
    }
    body.update(fields)
    return body


async def a_violation(client: httpx.AsyncClient, partner: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = await client.post(
        f"/v1/partners/{partner['id']}/compliance/violations", json=violation_body(**fields)
    )
    assert response.status_code == 201, response.text
    violation: dict[str, Any] = response.json()
    return violation


# --- territories, house accounts, deal registrations ------------------------------------------------------

# The vendor's channel manager for deals: approves and rejects registrations, keeps house accounts.
DEAL_MANAGER = Principal(
    subject="user:cm-dora", scopes=frozenset({"partners:write", "deal-registrations:write"})
)
DEAL_VIEWER = Principal(subject="user:deal-viewer", scopes=frozenset({"deal-registrations:read"}))


def deal_partner_user(partner: dict[str, Any]) -> Principal:
    """A partner's own credential for its deal registrations (and reading its partner record)."""
    return Principal(
        subject=f"key:deals-{partner['id'][:8]}",
        scopes=frozenset({"deal-registrations:write", "partners:read"}),
        partner_id=uuid.UUID(partner["id"]),
    )


def days_ahead(days: int) -> str:
    """The ISO date `days` days after today in UTC (negative: before)."""
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


async def an_active_partner(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    """A partner walked to `active`: only active partners register deals."""
    return await moved_to(client, await a_partner(client, **fields), "active")


def territory_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"country": "DE", "region": "Bavaria", "segment": None, "exclusive": False}
    body.update(fields)
    return body


async def a_territory(client: httpx.AsyncClient, partner: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = await client.post(
        f"/v1/partners/{partner['id']}/territories",
        json=territory_body(**fields),
        headers=signed_as(DEAL_MANAGER),
    )
    assert response.status_code == 201, response.text
    territory: dict[str, Any] = response.json()
    return territory


def house_account_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_name": "Initech AG",
        "customer_domain": "initech.example",
        "country": "DE",
    }
    body.update(fields)
    return body


async def a_house_account(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/house-accounts", json=house_account_body(**fields), headers=signed_as(DEAL_MANAGER)
    )
    assert response.status_code == 201, response.text
    account: dict[str, Any] = response.json()
    return account


def deal_body(partner: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A valid DealRegistrationIn body for a customer no other test body names."""
    unique = uuid.uuid4().hex[:8]
    body: dict[str, Any] = {
        "customer_name": f"Customer {unique}",
        "customer_domain": f"customer-{unique}.example",
        "country": "DE",
        "products": ["firewall"],
        "estimated_value": {"amount": "25000.00", "currency": "EUR"},
        "expected_close_on": days_ahead(60),
    }
    if partner is not None:
        body["partner_id"] = partner["id"]
    body.update(fields)
    return body


async def a_deal(
    client: httpx.AsyncClient, partner: dict[str, Any], *, by: Principal = DEAL_MANAGER, **fields: Any
) -> dict[str, Any]:
    """A registration of `partner` submitted by `by` (a channel manager unless said otherwise)."""
    response = await client.post(
        "/v1/deal-registrations", json=deal_body(partner, **fields), headers=signed_as(by)
    )
    assert response.status_code == 201, response.text
    registration: dict[str, Any] = response.json()
    return registration


# --- onboarding, conflict cases, webhook secrets -----------------------------------------------------------

STANDARD_CHECKLIST_ITEMS = [
    "agreement_signed",
    "tax_documents_received",
    "first_certification",
    "portal_access",
]


async def a_complete_checklist(client: httpx.AsyncClient, partner: dict[str, Any]) -> dict[str, Any]:
    """The partner's onboarding checklist with every item completed (what onboarding → active needs)."""
    path = f"/v1/partners/{partner['id']}/onboarding-checklist"
    current = await client.get(path)
    assert current.status_code == 200, current.text
    items = [{"key": item["key"], "completed": True} for item in current.json()["items"]]
    response = await client.patch(path, json={"items": items}, headers={"If-Match": current.headers["etag"]})
    assert response.status_code == 200, response.text
    checklist: dict[str, Any] = response.json()
    return checklist


def application_body(questionnaire: dict[str, Any] | None = None, **company: Any) -> dict[str, Any]:
    """A valid ApplicationIn body (company facts overridable field by field, or wholesale via `company=`)."""
    facts: dict[str, Any] = {
        "legal_name": "Acme Networks GmbH",
        "partner_type": "reseller",
        "country": "DE",
        "registration_number": f"HRB {uuid.uuid4().int % 10**9}",
        "employee_count": 85,
        "annual_revenue": {"amount": "2500000.00", "currency": "EUR"},
        "specialisations": {"product_lines": ["networking"], "industries": []},
    }
    facts = company.pop("company", None) or {**facts, **company}
    return {"company": facts, "questionnaire": questionnaire or {"certified_engineers": 3}}


async def an_application(client: httpx.AsyncClient, **company: Any) -> dict[str, Any]:
    response = await client.post("/v1/applications", json=application_body(**company))
    assert response.status_code == 201, response.text
    application: dict[str, Any] = response.json()
    return application


async def an_onboarding_partner(client: httpx.AsyncClient) -> dict[str, Any]:
    """A partner whose application was approved: in onboarding, its checklist untouched."""
    application = await an_application(client)
    approved = await client.post(
        f"/v1/applications/{application['id']}/approval",
        json={"screening_override_reason": "screened by hand in the test"},
    )
    assert approved.status_code == 200, approved.text
    partner = await client.get(f"/v1/partners/{application['partner_id']}")
    assert partner.json()["status"] == "onboarding"
    onboarding: dict[str, Any] = partner.json()
    return onboarding


CONFLICT_MANAGER = Principal(subject="user:cm-carla", scopes=frozenset({"partners:write", "conflicts:write"}))
CONFLICT_ANALYST = Principal(subject="user:analyst-dana", scopes=frozenset({"conflicts:read"}))


def case_body(*parties: Any, **fields: Any) -> dict[str, Any]:
    """A valid ConflictCaseIn between `parties` (partner dicts, ids or "vendor_direct")."""
    body: dict[str, Any] = {
        "conflict_type": "horizontal",
        "parties": [p["id"] if isinstance(p, dict) else str(p) for p in parties],
        "description": "Both partners quoted the same hospital tender",
    }
    body.update(fields)
    return body


async def a_case(
    client: httpx.AsyncClient, *parties: Any, by: Principal = CONFLICT_MANAGER, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/conflict-cases", json=case_body(*parties, **fields), headers=signed_as(by)
    )
    assert response.status_code == 201, response.text
    case: dict[str, Any] = response.json()
    return case

"""The partner-registry demo loader: the tables of `registry_data` created through the public API.

Partners are registered (or apply), walked along their lifecycle the way a channel team would (a signed
agreement and a complete onboarding checklist before `active`), given contacts, territories, tiers,
certificates and compliance records; then active partners register deals, the channel team reviews the
conflicting ones, some partners are suspended or terminated, and channel-conflict cases are opened and
worked. Days are counted from today (UTC), so dates stay plausible whenever the set is loaded.
"""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from prm_cli.demo_data.api import Api, DemoRequestFailed, Json
from prm_cli.demo_data.registry_data import (
    ACTIVE,
    AGREEMENT_TYPE,
    AGREEMENT_YEARS,
    APPLIED,
    AUDITS,
    CASES,
    CERTIFICATE_EXPIRY_DAYS,
    CERTIFICATE_VALID_DAYS,
    CERTIFICATES_BY_TIER,
    CURRENCY,
    DEALS,
    DIAL_CODE,
    EARLIER_AGREEMENT,
    HOUSE_ACCOUNTS,
    MORE_CONTACTS,
    ONBOARDING,
    PARTNERS,
    PLATINUM,
    PROSPECT,
    SALES_REGION,
    SUSPENDED,
    TERMINATED,
    TERRITORIES,
    TIER_STEP_DAYS,
    VIOLATIONS,
    WEBHOOK_PARTNERS,
    Approve,
    CaseSeed,
    DealSeed,
    DealStep,
    Extend,
    Lost,
    PartnerSeed,
    Reject,
    Won,
)

CHECKLIST_NOTES = {
    "agreement_signed": "Countersigned by both sides",
    "tax_documents_received": "VAT registration and W-8/W-9 equivalent on file",
    "first_certification": "Partner Sales Accreditation passed",
    "portal_access": "Portal accounts created for the primary contact",
}
LADDER = PLATINUM  # every tier, lowest first
SEEDS = {seed.key: seed for seed in PARTNERS}
# What an onboarding partner has done so far; the rest keeps it from becoming active.
ONBOARDING_DONE = ("tax_documents_received", "portal_access")


@dataclass
class Registry:
    """What the loader has created so far, by the keys of the tables."""

    today: date
    partners: dict[str, str] = field(default_factory=dict)  # partner key -> id
    primary_contacts: dict[str, str] = field(default_factory=dict)  # partner key -> contact id
    territories: dict[tuple[str, str | None], str] = field(default_factory=dict)  # (key, region) -> id
    deals: dict[str, str] = field(default_factory=dict)  # deal key -> id

    def day(self, offset: int) -> str:
        return (self.today + timedelta(days=offset)).isoformat()


async def load(client: httpx.AsyncClient) -> None:
    """Create the partner-registry demo set through the API `client` points at (an admin credential)."""
    api = Api(client)
    registry = Registry(today=datetime.now(UTC).date())
    await add_house_accounts(api)
    for seed in PARTNERS:
        await register_partner(api, registry, seed)
    await add_contacts(api, registry)
    await add_territories(api, registry)
    await record_tier_histories(api, registry)
    await add_certifications(api, registry)
    await record_earlier_agreements(api, registry)
    await record_compliance(api, registry)
    await register_deals(api, registry)
    await end_partnerships(api, registry)
    await open_conflict_cases(api, registry)
    for key in WEBHOOK_PARTNERS:
        await api.post(f"/v1/partners/{registry.partners[key]}/webhook-secrets")


def money(amount: str, currency: str) -> Json:
    return {"amount": amount, "currency": currency}


def reached_active(seed: PartnerSeed) -> bool:
    """Whether the partner was active at some point (suspended and terminated ones were, unless an
    application of theirs was rejected)."""
    return seed.status in {ACTIVE, SUSPENDED} or (seed.status == TERMINATED and not seed.application)


# --- house accounts ----------------------------------------------------------------------------------------


async def add_house_accounts(api: Api) -> None:
    for account in HOUSE_ACCOUNTS:
        body = {
            "customer_name": account.customer_name,
            "customer_domain": account.domain,
            "country": account.country,
            "notes": account.notes,
        }
        try:
            await api.post("/v1/house-accounts", body, step=f"house account {account.customer_name}")
        except DemoRequestFailed as failure:
            if failure.response.status_code == 409 and account is HOUSE_ACCOUNTS[0]:
                raise DemoRequestFailed(
                    "the registry holds partner-registry demo data already (from an earlier load, complete or "
                    f"not, with another data folder?), so nothing was loaded: {failure}",
                    request=failure.request,
                    response=failure.response,
                ) from failure
            raise


# --- partners and their lifecycle --------------------------------------------------------------------------


def partner_body(seed: PartnerSeed) -> Json:
    return {
        "legal_name": seed.legal_name,
        "display_name": seed.display_name,
        "partner_type": seed.partner_type,
        "country": seed.country,
        "region": SALES_REGION[seed.country],
        "registration_number": seed.registration_number,
        "website_domain": seed.domain,
        "year_founded": seed.founded,
        "employee_count": seed.employees,
        "annual_revenue": money(seed.revenue, CURRENCY[seed.country]),
        "specialisations": {"product_lines": list(seed.product_lines), "industries": list(seed.industries)},
        "segments_served": list(seed.segments),
        "custom_attributes": {"crm_account_id": f"ACC-{PARTNERS.index(seed) + 10001}"},
    }


# The facts an application carries; the vendor's custom attributes are added after it is submitted.
APPLICATION_FIELDS = (
    "legal_name",
    "display_name",
    "partner_type",
    "country",
    "region",
    "registration_number",
    "website_domain",
    "year_founded",
    "employee_count",
    "annual_revenue",
    "specialisations",
    "segments_served",
)


async def apply(api: Api, registry: Registry, seed: PartnerSeed) -> tuple[str, str]:
    """Submit an application (the partner becomes `applied`), then complete the partner's record with what
    an application does not ask. Returns (application id, partner id)."""
    full = partner_body(seed)
    application = await api.post(
        "/v1/applications",
        {
            "company": {name: full[name] for name in APPLICATION_FIELDS},
            "questionnaire": {
                "years_in_business": registry.today.year - seed.founded,
                "certified_engineers": seed.employees // 10,
                "has_support_desk": seed.employees >= 20,
                "target_segments": list(seed.segments),
            },
        },
        step=f"application of {seed.display_name}",
    )
    partner_id: str = application["partner_id"]
    current = await api.call("GET", f"/v1/partners/{partner_id}")
    rest = {"custom_attributes": full["custom_attributes"]}  # the vendor's own note, not the applicant's
    await api.patch(
        f"/v1/partners/{partner_id}", rest, etag=current.etag, step=f"complete {seed.display_name}"
    )
    return application["id"], partner_id


async def register_partner(api: Api, registry: Registry, seed: PartnerSeed) -> None:
    """Register the partner (or let it apply), give it its primary contact, and take it as far along the
    lifecycle as it goes before deals are registered (suspension and termination come later)."""
    if seed.application:
        application_id, partner_id = await apply(api, registry, seed)
    else:
        created = await api.post("/v1/partners", partner_body(seed), step=f"register {seed.display_name}")
        partner_id = created["id"]
    registry.partners[seed.key] = partner_id
    registry.primary_contacts[seed.key] = await add_contact(api, registry, seed.key, seed.contact, "primary")

    if seed.application:
        if seed.status == APPLIED:
            return
        if seed.status == TERMINATED:
            await api.post(
                f"/v1/applications/{application_id}/rejection",
                {"reason": seed.status_reason},
                step=f"reject the application of {seed.display_name}",
            )
            return
        await api.post(
            f"/v1/applications/{application_id}/approval",
            {
                "note": "Fills a gap in our coverage",
                # ignored when scoring passed it; needed when scoring is down or its gates failed
                "screening_override_reason": "Approved by the channel director after a reference call",
            },
            step=f"approve the application of {seed.display_name}",
        )
    else:
        if seed.status == PROSPECT:
            return
        await transition(api, partner_id, APPLIED)
        if seed.status == APPLIED:
            return
        await transition(api, partner_id, ONBOARDING)

    if seed.status == ONBOARDING:
        await add_agreement(api, registry, seed, status="draft")
        await update_checklist(api, partner_id, ONBOARDING_DONE)
        return
    await add_agreement(api, registry, seed, status="active")
    await update_checklist(api, partner_id, tuple(CHECKLIST_NOTES))
    await api.post(
        f"/v1/partners/{partner_id}/onboarding-completion",
        {"note": "Onboarding complete: agreement signed, checklist done"},
        step=f"activate {seed.display_name}",
    )


async def transition(api: Api, partner_id: str, to_status: str, reason: str | None = None) -> None:
    await api.post(
        f"/v1/partners/{partner_id}/status-transitions",
        {"to_status": to_status, "reason": reason},
        step=f"partner {partner_id} to {to_status}",
    )


async def update_checklist(api: Api, partner_id: str, done: tuple[str, ...]) -> None:
    path = f"/v1/partners/{partner_id}/onboarding-checklist"
    checklist = await api.call("GET", path)
    items = [{"key": key, "completed": True, "note": CHECKLIST_NOTES[key]} for key in done]
    await api.patch(path, {"items": items}, etag=checklist.etag, step=f"onboarding checklist of {partner_id}")


def agreement_start(seed: PartnerSeed) -> int:
    """Days from today the current agreement started: before the partner's first tier change."""
    return -(TIER_STEP_DAYS * len(seed.tiers) + 30)


async def add_agreement(api: Api, registry: Registry, seed: PartnerSeed, *, status: str) -> None:
    """The partner's current agreement, signed and active, or a draft still being negotiated."""
    starts = agreement_start(seed) if status == "active" else 14
    body: Json = {
        "agreement_type": AGREEMENT_TYPE[seed.partner_type],
        "status": status,
        "starts_on": registry.day(starts),
        "ends_on": registry.day(starts + 365 * AGREEMENT_YEARS - 1),
    }
    if status == "active":
        body["signed_on"] = registry.day(starts - 10)
    await api.post(f"/v1/partners/{registry.partners[seed.key]}/agreements", body)


async def record_earlier_agreements(api: Api, registry: Registry) -> None:
    """Long-standing partners worked under an earlier agreement, which has run out: recorded active, then
    moved to expired."""
    for seed in PARTNERS:
        if seed.key not in EARLIER_AGREEMENT:
            continue
        ends = agreement_start(seed) - 1
        starts = ends - 365 * AGREEMENT_YEARS + 1
        path = f"/v1/partners/{registry.partners[seed.key]}/agreements"
        earlier = await api.call(
            "POST",
            path,
            body={
                "agreement_type": AGREEMENT_TYPE[seed.partner_type],
                "status": "active",
                "signed_on": registry.day(starts - 10),
                "starts_on": registry.day(starts),
                "ends_on": registry.day(ends),
            },
            creates=True,
        )
        await api.patch(f"{path}/{earlier.json['id']}", {"status": "expired"}, etag=earlier.etag)


# --- contacts, territories, tiers, certificates, compliance ------------------------------------------------


def email_of(name: str, domain: str) -> str:
    """`Chloé Tremblay`, `maplegate.ca` → `chloe.tremblay@maplegate.ca`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    local = ".".join(part for part in ascii_name.lower().replace("'", "").split())
    return f"{local}@{domain}"


async def add_contact(api: Api, registry: Registry, key: str, name: str, role: str) -> str:
    seed = SEEDS[key]
    number = zlib.crc32(name.encode()) % 10_000_000  # made up, and the same at every load
    contact = await api.post(
        f"/v1/partners/{registry.partners[key]}/contacts",
        {
            "name": name,
            "email": email_of(name, seed.domain),
            "phone": f"+{DIAL_CODE[seed.country]} {20 + number % 70} {number:07d}",
            "role": role,
        },
        step=f"contact {name}",
    )
    contact_id: str = contact["id"]
    return contact_id


async def add_contacts(api: Api, registry: Registry) -> None:
    for contact in MORE_CONTACTS:
        await add_contact(api, registry, contact.partner, contact.name, contact.role)


async def add_territories(api: Api, registry: Registry) -> None:
    for territory in TERRITORIES:
        created = await api.post(
            f"/v1/partners/{registry.partners[territory.partner]}/territories",
            {
                "country": territory.country,
                "region": territory.region,
                "segment": territory.segment,
                "exclusive": territory.exclusive,
            },
        )
        registry.territories[(territory.partner, territory.region)] = created["id"]


async def record_tier_histories(api: Api, registry: Registry) -> None:
    """Each partner's climb of the ladder, one step every TIER_STEP_DAYS, the last one TIER_STEP_DAYS ago."""
    for seed in PARTNERS:
        for step, tier in enumerate(seed.tiers):
            effective = -TIER_STEP_DAYS * (len(seed.tiers) - step)
            if step == 0:
                reason = "Partner agreement signed"
            elif LADDER.index(tier) < LADDER.index(seed.tiers[step - 1]):
                reason = "Annual tier review: trailing revenue below the tier's minimum"
            else:
                reason = "Annual tier review: revenue and certified staff above the tier's requirements"
            await api.post(
                f"/v1/partners/{registry.partners[seed.key]}/tier-changes",
                {"tier": tier, "reason": reason, "effective_on": registry.day(effective)},
                step=f"{seed.display_name} to {tier}",
            )


async def add_certifications(api: Api, registry: Registry) -> None:
    """The certificates of the partner's tier: the first held by the company, the others by its primary
    contact; expiry days cycle through CERTIFICATE_EXPIRY_DAYS."""
    issued = 0
    for seed in PARTNERS:
        if not seed.tiers or not reached_active(seed):
            continue
        for index, (programme, level) in enumerate(CERTIFICATES_BY_TIER[seed.tiers[-1]]):
            expires_in = CERTIFICATE_EXPIRY_DAYS[issued % len(CERTIFICATE_EXPIRY_DAYS)]
            issued += 1
            await api.post(
                f"/v1/partners/{registry.partners[seed.key]}/certifications",
                {
                    "programme": programme,
                    "level": level,
                    "contact_id": registry.primary_contacts[seed.key] if index else None,
                    "issued_on": registry.day(expires_in - CERTIFICATE_VALID_DAYS),
                    "expires_on": registry.day(expires_in),
                },
            )


async def record_compliance(api: Api, registry: Registry) -> None:
    for audit in AUDITS:
        await api.post(
            f"/v1/partners/{registry.partners[audit.partner]}/compliance/audits",
            {
                "audited_on": registry.day(audit.days),
                "auditor": audit.auditor,
                "scope": audit.scope,
                "outcome": audit.outcome,
                "notes": audit.notes,
            },
        )
    for violation in VIOLATIONS:
        await api.post(
            f"/v1/partners/{registry.partners[violation.partner]}/compliance/violations",
            {
                "policy": violation.policy,
                "finding": violation.finding,
                "severity": violation.severity,
                "opened_on": registry.day(violation.opened_days),
                "status": violation.status,
                "resolved_on": None
                if violation.resolved_days is None
                else registry.day(violation.resolved_days),
            },
        )


# --- deal registrations ------------------------------------------------------------------------------------


def deal_body(registry: Registry, deal: DealSeed) -> Json:
    return {
        "partner_id": registry.partners[deal.partner],
        "customer_name": deal.customer_name,
        "customer_domain": deal.domain,
        "country": deal.country,
        "region": deal.region,
        "customer_segment": deal.segment,
        "products": list(deal.products),
        "estimated_value": money(deal.amount, CURRENCY[deal.country]),
        "expected_close_on": registry.day(deal.close_in_days),
        "notes": None,
    }


async def register_deals(api: Api, registry: Registry) -> None:
    """Every deal first (so that the conflicting ones meet the registrations they conflict with), then the
    reviews, extensions and outcomes."""
    submitted: list[tuple[DealSeed, str]] = []
    for deal in DEALS:
        created = await api.post(
            "/v1/deal-registrations", deal_body(registry, deal), step=f"deal {deal.customer_name}"
        )
        submitted.append((deal, created["id"]))
        if deal.key:
            registry.deals[deal.key] = created["id"]
    for deal, deal_id in submitted:
        for step in deal.steps:
            path, body = deal_step(deal, step)
            await api.post(
                f"/v1/deal-registrations/{deal_id}/{path}", body, step=f"deal {deal.customer_name}"
            )


def deal_step(deal: DealSeed, step: DealStep) -> tuple[str, Json]:
    """The endpoint (below the registration) and body of one of its steps."""
    match step:
        case Won(amount=amount):
            return "outcome", {"outcome": "won", "final_amount": money(amount, CURRENCY[deal.country])}
        case Lost(reason=reason):
            return "outcome", {"outcome": "lost", "reason": reason}
        case Approve(reason=reason):
            return "decision", {"decision": "approved", "reason": reason}
        case Reject(reason=reason):
            return "decision", {"decision": "rejected", "reason": reason}
        case Extend(reason=reason):
            return "extension", {"reason": reason}


# --- suspensions, terminations, conflict cases -------------------------------------------------------------


async def end_partnerships(api: Api, registry: Registry) -> None:
    """Suspend and terminate the partners whose story ends so (rejected applicants are terminated already)."""
    for seed in PARTNERS:
        if seed.status in {SUSPENDED, TERMINATED} and reached_active(seed):
            await transition(api, registry.partners[seed.key], seed.status, seed.status_reason)


def party(registry: Registry, key: str) -> str:
    return key if key == "vendor_direct" else registry.partners[key]


async def open_conflict_cases(api: Api, registry: Registry) -> None:
    for case in CASES:
        created = await api.post("/v1/conflict-cases", case_body(registry, case), step=case.description[:60])
        for step in case.steps:
            body: dict[str, Any] = {"to_stage": step.to_stage, "notes": step.notes}
            if step.resolution is not None:
                awarded = step.resolution.get("awarded_to")
                body["resolution"] = {**step.resolution, "awarded_to": awarded and party(registry, awarded)}
            await api.post(f"/v1/conflict-cases/{created['id']}/steps", body)


def case_body(registry: Registry, case: CaseSeed) -> Json:
    return {
        "conflict_type": case.conflict_type,
        "parties": [party(registry, key) for key in case.parties],
        "description": case.description,
        "deal_registration_ids": [registry.deals[key] for key in case.deals],
        "territory_ids": [registry.territories[place] for place in case.territories],
        "root_causes": [{"cause": cause, "detail": detail} for cause, detail in case.root_causes],
    }

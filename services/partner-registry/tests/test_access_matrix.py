"""Who may do what, endpoint by endpoint: the access matrix of partners and their sub-resources.

Callers: a channel manager (partners:write), an analyst (partners:read), a credential without partner
scopes, the partner's own credential (partners:write, bound to it) and another partner's credential.
A refused request stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prm_contracts.principal import Principal
from prm_kit.testing import ADMIN, access_groups, undone
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import (
    ANALYST,
    CHANNEL_MANAGER,
    CONFLICT_ANALYST,
    CONFLICT_MANAGER,
    DEAL_MANAGER,
    DEAL_VIEWER,
    OUTSIDER,
    a_case,
    a_certification,
    a_complete_checklist,
    a_contact,
    a_current_agreement,
    a_deal,
    a_house_account,
    a_partner,
    a_territory,
    a_violation,
    agreement_body,
    an_agreement,
    an_application,
    an_audit,
    an_onboarding_partner,
    application_body,
    audit_body,
    case_body,
    certification_body,
    contact_body,
    days_from_today,
    deal_body,
    deal_partner_user,
    house_account_body,
    moved_to,
    partner_body,
    partner_user,
    signed_as,
    stored_counts,
    territory_body,
    violation_body,
)

pytestmark = pytest.mark.asyncio


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None
    if_match: bool = False


P = "/v1/partners/{partner}"
C = "/v1/partners/{partner}/contacts/{contact}"
CERT = P + "/certifications/{certification}"
AUDIT = P + "/compliance/audits/{audit}"
VIOLATION = P + "/compliance/violations/{violation}"
AGREEMENT = P + "/agreements/{agreement}"

CALLS = {
    "list_partners": Call("GET", "/v1/partners"),
    "create_partner": Call("POST", "/v1/partners", partner_body()),
    "get_partner": Call("GET", P),
    "update_partner (presentation)": Call("PATCH", P, {"display_name": "Renamed"}, if_match=True),
    "update_partner (legal name)": Call("PATCH", P, {"legal_name": "Renamed GmbH"}, if_match=True),
    "transition_partner_status": Call("POST", P + "/status-transitions", {"to_status": "applied"}),
    "list_partner_history": Call("GET", P + "/history"),
    "list_partner_contacts": Call("GET", P + "/contacts"),
    "add_partner_contact": Call("POST", P + "/contacts", contact_body(name="New")),
    "get_partner_contact": Call("GET", C),
    "update_partner_contact": Call("PATCH", C, {"name": "Renamed"}, if_match=True),
    "remove_partner_contact": Call("DELETE", C),
    # tiers of a partner (the ladder itself: tests/tiers/test_tier_access.py)
    "change_partner_tier": Call("POST", P + "/tier-changes", {"tier": "gold", "reason": "Review"}),
    "list_partner_tier_history": Call("GET", P + "/tier-history"),
    # certifications
    "list_partner_certifications": Call("GET", P + "/certifications"),
    "add_partner_certification": Call("POST", P + "/certifications", certification_body()),
    "get_partner_certification": Call("GET", CERT),
    "update_partner_certification": Call("PATCH", CERT, {"level": "Expert"}, if_match=True),
    "remove_partner_certification": Call("DELETE", CERT),
    "list_expiring_certifications": Call("GET", "/v1/certifications/expiring?within_days=30"),
    # compliance
    "get_partner_compliance_summary": Call("GET", P + "/compliance/summary"),
    "list_partner_compliance_audits": Call("GET", P + "/compliance/audits"),
    "record_partner_compliance_audit": Call("POST", P + "/compliance/audits", audit_body()),
    "get_partner_compliance_audit": Call("GET", AUDIT),
    "update_partner_compliance_audit": Call("PATCH", AUDIT, {"outcome": "failed"}, if_match=True),
    "list_partner_compliance_violations": Call("GET", P + "/compliance/violations"),
    "record_partner_compliance_violation": Call("POST", P + "/compliance/violations", violation_body()),
    "get_partner_compliance_violation": Call("GET", VIOLATION),
    "update_partner_compliance_violation": Call("PATCH", VIOLATION, {"status": "resolved"}, if_match=True),
    # agreements
    "list_partner_agreements": Call("GET", P + "/agreements"),
    "add_partner_agreement": Call("POST", P + "/agreements", agreement_body()),
    "get_partner_agreement": Call("GET", AGREEMENT),
    "update_partner_agreement": Call("PATCH", AGREEMENT, {"agreement_type": "msp"}, if_match=True),
    "remove_partner_agreement": Call("DELETE", AGREEMENT),
}

CALLERS = ["channel manager", "analyst", "outsider", "own partner", "other partner"]

# expected status per call, in the order of CALLERS
MATRIX = {
    "list_partners": (200, 200, 403, 200, 200),
    "create_partner": (201, 403, 403, 403, 403),
    "get_partner": (200, 200, 403, 200, 403),
    "update_partner (presentation)": (200, 403, 403, 200, 403),
    "update_partner (legal name)": (200, 403, 403, 403, 403),
    "transition_partner_status": (201, 403, 403, 403, 403),
    "list_partner_history": (200, 200, 403, 200, 403),
    "list_partner_contacts": (200, 200, 403, 200, 403),
    "add_partner_contact": (201, 403, 403, 201, 403),
    "get_partner_contact": (200, 200, 403, 200, 403),
    "update_partner_contact": (200, 403, 403, 200, 403),
    "remove_partner_contact": (204, 403, 403, 204, 403),
    # the records the vendor keeps about a partner: its own credential reads them, never writes them
    "change_partner_tier": (201, 403, 403, 403, 403),
    "list_partner_tier_history": (200, 200, 403, 200, 403),
    "list_partner_certifications": (200, 200, 403, 200, 403),
    "add_partner_certification": (201, 403, 403, 403, 403),
    "get_partner_certification": (200, 200, 403, 200, 403),
    "update_partner_certification": (200, 403, 403, 403, 403),
    "remove_partner_certification": (204, 403, 403, 403, 403),
    "list_expiring_certifications": (200, 200, 403, 200, 200),
    "get_partner_compliance_summary": (200, 200, 403, 200, 403),
    "list_partner_compliance_audits": (200, 200, 403, 200, 403),
    "record_partner_compliance_audit": (201, 403, 403, 403, 403),
    "get_partner_compliance_audit": (200, 200, 403, 200, 403),
    "update_partner_compliance_audit": (200, 403, 403, 403, 403),
    "list_partner_compliance_violations": (200, 200, 403, 200, 403),
    "record_partner_compliance_violation": (201, 403, 403, 403, 403),
    "get_partner_compliance_violation": (200, 200, 403, 200, 403),
    "update_partner_compliance_violation": (200, 403, 403, 403, 403),
    "list_partner_agreements": (200, 200, 403, 200, 403),
    "add_partner_agreement": (201, 403, 403, 403, 403),
    "get_partner_agreement": (200, 200, 403, 200, 403),
    "update_partner_agreement": (200, 403, 403, 403, 403),
    "remove_partner_agreement": (204, 403, 403, 403, 403),
}


def _principal(caller: str, partner: dict[str, Any], other: dict[str, Any]) -> Principal:
    return {
        "channel manager": CHANNEL_MANAGER,
        "analyst": ANALYST,
        "outsider": OUTSIDER,
        "own partner": partner_user(partner),
        "other partner": partner_user(other),
    }[caller]


@pytest.mark.parametrize("call_name", MATRIX)
async def test_access_matrix(client: httpx.AsyncClient, db: AsyncSession, call_name: str) -> None:
    call = CALLS[call_name]
    for group in access_groups(CALLERS, MATRIX[call_name], call.method):
        async with undone(db):
            partner, other = await a_partner(client), await a_partner(client)
            contact = await a_contact(client, partner)
            ids = {"contact": contact["id"], **await _partner_records(client, partner)}
            for caller, expected in group:
                headers = signed_as(_principal(caller, partner, other))
                if call.if_match:
                    headers["If-Match"] = '"1"'
                before = await stored_counts(db)

                response = await client.request(
                    call.method,
                    call.path.format(partner=partner["id"], **ids),
                    json=call.body,
                    headers=headers,
                )

                assert response.status_code == expected, f"{caller}: {response.text}"
                if expected == 403:
                    assert response.json()["type"] == "/problems/forbidden"
                    assert await stored_counts(db) == before, caller
                if call_name == "list_partners" and caller in {"own partner", "other partner"}:
                    bound_to = partner if caller == "own partner" else other
                    assert [p["id"] for p in response.json()["items"]] == [bound_to["id"]]
                if call_name == "list_expiring_certifications" and caller in {"own partner", "other partner"}:
                    bound_to = partner if caller == "own partner" else other
                    assert {c["partner_id"] for c in response.json()["items"]} <= {bound_to["id"]}
                    assert len(response.json()["items"]) == (1 if caller == "own partner" else 0)


async def _partner_records(client: httpx.AsyncClient, partner: dict[str, Any]) -> dict[str, str]:
    """One record of each kind the vendor keeps about `partner`, by path placeholder."""
    certification = await a_certification(client, partner, expires_on=days_from_today(10))
    agreement = await an_agreement(client, partner, status="draft", signed_on=None)  # drafts can be removed
    return {
        "certification": certification["id"],
        "audit": (await an_audit(client, partner))["id"],
        "violation": (await a_violation(client, partner))["id"],
        "agreement": agreement["id"],
    }


async def test_a_request_without_the_gateway_credential_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/partners", headers={"x-prm-principal": "forged"})

    assert response.status_code == 401


# --- territories, deal registrations, house accounts --------------------------------------------------------
# Their own callers: deal registrations and house accounts need the deal-registrations scopes, which the
# partner callers above lack. A partner's own credential here may write deal registrations and read partners.

T = P + "/territories/{territory}"
D = "/v1/deal-registrations/{approved}"

DEAL_CALLS = {
    "list_partner_territories": Call("GET", P + "/territories"),
    "add_partner_territory": Call("POST", P + "/territories", territory_body(country="AT", region=None)),
    "get_partner_territory": Call("GET", T),
    "update_partner_territory": Call("PATCH", T, {"exclusive": True}, if_match=True),
    "remove_partner_territory": Call("DELETE", T),
    "list_territory_conflicts": Call("GET", "/v1/territories/conflicts"),
    "submit_deal_registration": Call("POST", "/v1/deal-registrations"),  # body: deal_body(partner)
    "list_deal_registrations": Call("GET", "/v1/deal-registrations"),
    "get_deal_registration": Call("GET", D),
    "list_deal_registration_history": Call("GET", D + "/history"),
    "decide_deal_registration": Call(
        "POST", "/v1/deal-registrations/{pending}/decision", {"decision": "approved", "reason": "ok"}
    ),
    "extend_deal_registration": Call("POST", D + "/extension", {}),
    "record_deal_registration_outcome": Call("POST", D + "/outcome", {"outcome": "lost", "reason": "price"}),
    "sweep_expired_deal_registrations": Call("POST", "/v1/deal-registrations/expiry-sweeps"),
    "list_house_accounts": Call("GET", "/v1/house-accounts"),
    "add_house_account": Call(
        "POST", "/v1/house-accounts", house_account_body(customer_domain="hooli.example")
    ),
    "get_house_account": Call("GET", "/v1/house-accounts/{house_account}"),
    "update_house_account": Call(
        "PATCH", "/v1/house-accounts/{house_account}", {"notes": "x"}, if_match=True
    ),
    "remove_house_account": Call("DELETE", "/v1/house-accounts/{house_account}"),
}

DEAL_CALLERS = ["deal manager", "deal viewer", "analyst", "outsider", "own partner", "other partner", "admin"]

DEAL_MATRIX = {
    # territories are partner facts (partners scopes), assigned by the vendor only
    "list_partner_territories": (200, 403, 200, 403, 200, 403, 200),
    "add_partner_territory": (201, 403, 403, 403, 403, 403, 201),
    "get_partner_territory": (200, 403, 200, 403, 200, 403, 200),
    "update_partner_territory": (200, 403, 403, 403, 403, 403, 200),
    "remove_partner_territory": (204, 403, 403, 403, 403, 403, 204),
    "list_territory_conflicts": (200, 403, 200, 403, 403, 403, 200),
    # a partner registers, extends and closes its own deals; only the vendor decides and sweeps
    "submit_deal_registration": (201, 403, 403, 403, 201, 403, 201),
    "list_deal_registrations": (200, 200, 403, 403, 200, 200, 200),
    "get_deal_registration": (200, 200, 403, 403, 200, 403, 200),
    "list_deal_registration_history": (200, 200, 403, 403, 200, 403, 200),
    "decide_deal_registration": (200, 403, 403, 403, 403, 403, 200),
    "extend_deal_registration": (200, 403, 403, 403, 200, 403, 200),
    "record_deal_registration_outcome": (200, 403, 403, 403, 200, 403, 200),
    "sweep_expired_deal_registrations": (403, 403, 403, 403, 403, 403, 200),
    # house accounts are the vendor's own business
    "list_house_accounts": (200, 200, 403, 403, 403, 403, 200),
    "add_house_account": (201, 403, 403, 403, 403, 403, 201),
    "get_house_account": (200, 200, 403, 403, 403, 403, 200),
    "update_house_account": (200, 403, 403, 403, 403, 403, 200),
    "remove_house_account": (204, 403, 403, 403, 403, 403, 204),
}


def _deal_principal(caller: str, partner: dict[str, Any], other: dict[str, Any]) -> Principal:
    return {
        "deal manager": DEAL_MANAGER,
        "deal viewer": DEAL_VIEWER,
        "analyst": ANALYST,
        "outsider": OUTSIDER,
        "own partner": deal_partner_user(partner),
        "other partner": deal_partner_user(other),
        "admin": ADMIN,
    }[caller]


@pytest.mark.parametrize("call_name", DEAL_MATRIX)
async def test_access_matrix_of_territories_deals_and_house_accounts(
    client: httpx.AsyncClient, db: AsyncSession, call_name: str
) -> None:
    call = DEAL_CALLS[call_name]
    for group in access_groups(DEAL_CALLERS, DEAL_MATRIX[call_name], call.method):
        async with undone(db):
            partner, other = await a_partner(client), await a_partner(client)
            ids = await _deal_records(client, partner, call)
            body = deal_body(partner) if call_name == "submit_deal_registration" else call.body
            for caller, expected in group:
                headers = signed_as(_deal_principal(caller, partner, other))
                if call.if_match:
                    headers["If-Match"] = '"1"'
                before = await stored_counts(db)

                response = await client.request(
                    call.method, call.path.format(partner=partner["id"], **ids), json=body, headers=headers
                )

                assert response.status_code == expected, f"{caller}: {response.text}"
                if expected == 403:
                    assert response.json()["type"] == "/problems/forbidden"
                    assert await stored_counts(db) == before, caller
                if call_name == "list_deal_registrations" and caller in {"own partner", "other partner"}:
                    own = {ids["approved"], ids["pending"]} if caller == "own partner" else set()
                    assert {r["id"] for r in response.json()["items"]} == own


async def _deal_records(client: httpx.AsyncClient, partner: dict[str, Any], call: Call) -> dict[str, str]:
    """What `call` works on, arranged for `partner` (walked to active when it registers deals)."""
    ids: dict[str, str] = {}
    if "{territory}" in call.path:
        ids["territory"] = (await a_territory(client, partner))["id"]
    if "{house_account}" in call.path:
        ids["house_account"] = (await a_house_account(client))["id"]
    if "deal-registrations" in call.path:
        await moved_to(client, partner, "active")
        account = await a_house_account(client)
        ids["approved"] = (await a_deal(client, partner))["id"]
        # a registration for a house account's customer waits for review
        pending = await a_deal(client, partner, customer_domain=account["customer_domain"])
        assert pending["status"] == "pending_review"
        ids["pending"] = pending["id"]
    return ids


# --- applications, onboarding, webhook secrets --------------------------------------------------------------
# "own partner" is the partner an application registered; its application waits for a decision (scoring is
# unreachable in these tests, so it is pending). Only PRM services read the secrets themselves.

APP = "/v1/applications/{application}"
ONBOARDING_CALLS = {
    "submit_partner_application": Call("POST", "/v1/applications", application_body()),
    "list_partner_applications": Call("GET", "/v1/applications"),
    "get_partner_application": Call("GET", APP),
    "retry_application_screening": Call("POST", APP + "/screening"),
    "approve_partner_application": Call("POST", APP + "/approval", {"screening_override_reason": "by hand"}),
    "reject_partner_application": Call("POST", APP + "/rejection", {"reason": "Not a fit"}),
    "get_onboarding_checklist": Call("GET", P + "/onboarding-checklist"),
    "update_onboarding_checklist": Call(
        "PATCH", P + "/onboarding-checklist", {"items": [{"key": "portal_access", "completed": True}]}
    ),
    "complete_partner_onboarding": Call("POST", P + "/onboarding-completion"),
    "issue_partner_webhook_secret": Call("POST", P + "/webhook-secrets"),
    "list_partner_webhook_secrets": Call("GET", P + "/webhook-secrets"),
    "revoke_partner_webhook_secret": Call("DELETE", P + "/webhook-secrets/{secret}"),
    "internal_partner_webhook_secrets": Call("GET", "/internal/partners/{partner}/webhook-secrets"),
}

ONBOARDING_CALLERS = [*CALLERS, "admin"]

ONBOARDING_MATRIX = {
    # the vendor screens and decides; the applicant reads its own application
    "submit_partner_application": (201, 403, 403, 403, 403, 201),
    "list_partner_applications": (200, 200, 403, 200, 200, 200),
    "get_partner_application": (200, 200, 403, 200, 403, 200),
    "retry_application_screening": (200, 403, 403, 403, 403, 200),
    "approve_partner_application": (200, 403, 403, 403, 403, 200),
    "reject_partner_application": (200, 403, 403, 403, 403, 200),
    "get_onboarding_checklist": (200, 200, 403, 200, 403, 200),
    "update_onboarding_checklist": (200, 403, 403, 403, 403, 200),
    "complete_partner_onboarding": (201, 403, 403, 403, 403, 201),
    # a partner's system signs its webhooks: its own credential rotates its own secret
    "issue_partner_webhook_secret": (201, 403, 403, 201, 403, 201),
    "list_partner_webhook_secrets": (200, 200, 403, 200, 403, 200),
    "revoke_partner_webhook_secret": (204, 403, 403, 204, 403, 204),
    "internal_partner_webhook_secrets": (403, 403, 403, 403, 403, 403),
}


@dataclass(frozen=True)
class Onboarding:
    application: dict[str, Any]
    partner: dict[str, Any]
    other: dict[str, Any]
    ids: dict[str, str]


async def _onboarding(client: httpx.AsyncClient, call_name: str, call: Call) -> Onboarding:
    """An application waiting for a decision, another partner, and what `call` works on."""
    application = await an_application(client)
    partner = {"id": application["partner_id"]}
    other = await a_partner(client)
    ids = {"application": application["id"], "partner": partner["id"]}
    if call_name == "complete_partner_onboarding":
        partner = await an_onboarding_partner(client)
        await a_current_agreement(client, partner)
        await a_complete_checklist(client, partner)
        ids["partner"] = partner["id"]
    if "{secret}" in call.path:
        ids["secret"] = (await client.post(f"/v1/partners/{partner['id']}/webhook-secrets")).json()["id"]
    return Onboarding(application, partner, other, ids)


@pytest.mark.parametrize("call_name", ONBOARDING_MATRIX)
async def test_access_matrix_of_applications_onboarding_and_webhook_secrets(
    client: httpx.AsyncClient, db: AsyncSession, call_name: str
) -> None:
    call = ONBOARDING_CALLS[call_name]
    for group in access_groups(ONBOARDING_CALLERS, ONBOARDING_MATRIX[call_name], call.method):
        async with undone(db):
            arranged = await _onboarding(client, call_name, call)
            for caller, expected in group:
                principal = (
                    ADMIN if caller == "admin" else _principal(caller, arranged.partner, arranged.other)
                )
                headers = signed_as(principal)
                if call_name == "update_onboarding_checklist":
                    headers["If-Match"] = '"0"'
                before = await stored_counts(db)

                response = await client.request(
                    call.method, call.path.format(**arranged.ids), json=call.body, headers=headers
                )

                assert response.status_code == expected, f"{caller}: {response.text}"
                if expected == 403:
                    assert response.json()["type"] == "/problems/forbidden"
                    assert await stored_counts(db) == before, caller
                    assert "whsec_" not in response.text
                if call_name == "list_partner_applications" and caller in {"own partner", "other partner"}:
                    own = [arranged.application["id"]] if caller == "own partner" else []
                    assert [a["id"] for a in response.json()["items"]] == own


# --- channel-conflict cases ---------------------------------------------------------------------------------
# Their own callers: conflict cases need the conflicts scopes. A party's credential (conflicts:write, bound to
# a partner that is a party) sees its cases and adds notes; any other partner's credential does not see them.

CASE = "/v1/conflict-cases/{case}"
CONFLICT_CALLS = {
    "open_conflict_case": Call("POST", "/v1/conflict-cases"),  # body: between the party and another partner
    "list_conflict_cases": Call("GET", "/v1/conflict-cases"),
    "conflict_case_statistics": Call("GET", "/v1/conflict-cases/statistics?period=2026-Q3"),
    "get_conflict_case": Call("GET", CASE),
    "update_conflict_case": Call("PATCH", CASE, {"root_causes": [{"cause": "pricing"}]}, if_match=True),
    "record_conflict_case_step (move)": Call("POST", CASE + "/steps", {"to_stage": "under_review"}),
    "record_conflict_case_step (note)": Call("POST", CASE + "/steps", {"notes": "We were first"}),
    "list_conflict_case_steps": Call("GET", CASE + "/steps"),
}

CONFLICT_CALLERS = ["conflict manager", "conflict analyst", "channel manager", "party", "non-party", "admin"]

CONFLICT_MATRIX = {
    "open_conflict_case": (201, 403, 403, 201, 403, 201),
    "list_conflict_cases": (200, 200, 403, 200, 200, 200),
    "conflict_case_statistics": (200, 200, 403, 200, 200, 200),
    # another partner's cases do not exist for it
    "get_conflict_case": (200, 200, 403, 200, 404, 200),
    "update_conflict_case": (200, 403, 403, 403, 403, 200),
    "record_conflict_case_step (move)": (201, 403, 403, 403, 403, 201),
    "record_conflict_case_step (note)": (201, 403, 403, 201, 404, 201),
    "list_conflict_case_steps": (200, 200, 403, 200, 404, 200),
}


def _party_user(partner: dict[str, Any]) -> Principal:
    return Principal(
        subject=f"key:partner-{partner['id'][:8]}",
        scopes=frozenset({"conflicts:write"}),
        partner_id=partner_user(partner).partner_id,
    )


@pytest.mark.parametrize("call_name", CONFLICT_MATRIX)
async def test_access_matrix_of_conflict_cases(
    client: httpx.AsyncClient, db: AsyncSession, call_name: str
) -> None:
    call = CONFLICT_CALLS[call_name]
    for group in access_groups(CONFLICT_CALLERS, CONFLICT_MATRIX[call_name], call.method):
        async with undone(db):
            party, counterpart, outsider = [await a_partner(client) for _ in range(3)]
            case = await a_case(client, party, counterpart)
            body = case_body(party, counterpart) if call_name == "open_conflict_case" else call.body
            for caller, expected in group:
                principal = {
                    "conflict manager": CONFLICT_MANAGER,
                    "conflict analyst": CONFLICT_ANALYST,
                    "channel manager": CHANNEL_MANAGER,
                    "party": _party_user(party),
                    "non-party": _party_user(outsider),
                    "admin": ADMIN,
                }[caller]
                headers = signed_as(principal)
                if call.if_match:
                    headers["If-Match"] = '"1"'
                before = await stored_counts(db)

                response = await client.request(
                    call.method, call.path.format(case=case["id"]), json=body, headers=headers
                )

                assert response.status_code == expected, f"{caller}: {response.text}"
                if expected in {403, 404}:
                    assert await stored_counts(db) == before, caller
                if expected == 403:
                    assert response.json()["type"] == "/problems/forbidden"
                if call_name == "list_conflict_cases" and caller in {"party", "non-party"}:
                    own = [case["id"]] if caller == "party" else []
                    assert [c["id"] for c in response.json()["items"]] == own

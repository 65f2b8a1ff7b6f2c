"""Completing onboarding: onboarding → active only with the checklist complete, whichever way it is asked."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    STANDARD_CHECKLIST_ITEMS,
    a_complete_checklist,
    a_current_agreement,
    a_partner,
    an_onboarding_partner,
    history,
    moved_to,
    outbox_payloads,
    partner_user,
    signed_as,
    stored_counts,
)

pytestmark = pytest.mark.asyncio


def _completion(partner: dict[str, Any]) -> str:
    return f"/v1/partners/{partner['id']}/onboarding-completion"


async def test_an_approved_applicant_with_its_checklist_done_becomes_active(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await an_onboarding_partner(client)
    await a_current_agreement(client, partner)
    await a_complete_checklist(client, partner)

    response = await client.post(_completion(partner), json={"note": "Kick-off call held"})

    assert response.status_code == 201, response.text
    transition = response.json()
    assert (transition["from_status"], transition["to_status"]) == ("onboarding", "active")
    assert transition["reason"] == "Kick-off call held"
    assert transition["transitioned_by"] == "user:cm-anna"
    assert transition["partner"]["status"] == "active"
    [latest, *_] = await history(client, partner, kind="status_changed")
    assert latest["id"] == transition["id"]
    events = await outbox_payloads(db, "partner.status_changed")
    assert ("onboarding", "active") in [(e["data"]["from_status"], e["data"]["to_status"]) for e in events]


async def test_without_a_body_the_reason_says_onboarding_is_complete(client: httpx.AsyncClient) -> None:
    partner = await an_onboarding_partner(client)
    await a_current_agreement(client, partner)
    await a_complete_checklist(client, partner)

    response = await client.post(_completion(partner))

    assert response.status_code == 201, response.text
    assert response.json()["reason"] == "onboarding complete"


async def test_an_incomplete_checklist_is_409_listing_what_is_missing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await an_onboarding_partner(client)
    await a_current_agreement(client, partner)
    path = f"/v1/partners/{partner['id']}/onboarding-checklist"
    ticked = await client.patch(
        path,
        json={
            "items": [{"key": "agreement_signed", "completed": True}, {"key": "nda", "label": "NDA signed"}]
        },
        headers={"If-Match": '"0"'},
    )
    assert ticked.status_code == 200
    before = await stored_counts(db)

    response = await client.post(_completion(partner))

    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "/problems/onboarding-checklist-incomplete"
    assert problem["incomplete"] == ["tax_documents_received", "first_certification", "portal_access", "nda"]
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/partners/{partner['id']}")).json()["status"] == "onboarding"


async def test_the_rule_holds_for_a_plain_status_transition_too(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await moved_to(client, await a_partner(client), "onboarding")
    await a_current_agreement(client, partner)
    before = await stored_counts(db)

    refused = await client.post(
        f"/v1/partners/{partner['id']}/status-transitions", json={"to_status": "active"}
    )

    assert refused.status_code == 409
    assert refused.json()["incomplete"] == STANDARD_CHECKLIST_ITEMS
    assert await stored_counts(db) == before

    await a_complete_checklist(client, partner)
    allowed = await client.post(
        f"/v1/partners/{partner['id']}/status-transitions", json={"to_status": "active"}
    )
    assert allowed.status_code == 201, allowed.text


async def test_a_suspended_partner_returns_to_active_without_the_checklist_being_asked_again(
    client: httpx.AsyncClient,
) -> None:
    partner = await moved_to(client, await a_partner(client), "suspended")
    path = f"/v1/partners/{partner['id']}/onboarding-checklist"
    checklist = await client.get(path)
    undone = await client.patch(
        path,
        json={"items": [{"key": "portal_access", "completed": False}]},
        headers={"If-Match": checklist.headers["etag"]},
    )
    assert undone.json()["complete"] is False

    response = await client.post(
        f"/v1/partners/{partner['id']}/status-transitions", json={"to_status": "active", "reason": "Paid"}
    )

    assert response.status_code == 201, response.text


@pytest.mark.parametrize("status", ["prospect", "applied", "active", "suspended", "terminated"])
async def test_only_an_onboarding_partner_completes_onboarding(
    client: httpx.AsyncClient, db: AsyncSession, status: str
) -> None:
    partner = await moved_to(client, await a_partner(client), status)
    before = await stored_counts(db)

    response = await client.post(_completion(partner))

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/partner-not-onboarding"
    assert response.json()["current_status"] == status
    assert await stored_counts(db) == before


async def test_the_partner_cannot_complete_its_own_onboarding(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await an_onboarding_partner(client)
    await a_current_agreement(client, partner)
    await a_complete_checklist(client, partner)
    before = await stored_counts(db)

    response = await client.post(_completion(partner), headers=signed_as(partner_user(partner)))

    assert response.status_code == 403
    assert await stored_counts(db) == before


async def test_a_retried_completion_gets_the_first_answer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await an_onboarding_partner(client)
    await a_current_agreement(client, partner)
    await a_complete_checklist(client, partner)
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = await client.post(_completion(partner), headers=key)
    counts = await stored_counts(db)
    retried = await client.post(_completion(partner), headers=key)

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert await stored_counts(db) == counts


async def test_a_stale_if_match_is_412_and_an_unknown_partner_404(client: httpx.AsyncClient) -> None:
    partner = await an_onboarding_partner(client)
    await a_current_agreement(client, partner)
    await a_complete_checklist(client, partner)

    stale = await client.post(_completion(partner), headers={"If-Match": '"1"'})
    unknown = await client.post(_completion({"id": str(uuid.uuid4())}))
    malformed = await client.post(_completion(partner), json={"note": "x", "status": "active"})

    assert stale.status_code == 412
    assert unknown.status_code == 404
    assert malformed.status_code == 422

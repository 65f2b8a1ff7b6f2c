"""Deciding on applications: approval starts the partner's onboarding, rejection ends the partner."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    a_complete_checklist,
    a_current_agreement,
    an_application,
    history,
    outbox_payloads,
    partner_user,
    signed_as,
    stored_counts,
)
from ..fakes import FakeScoring

pytestmark = pytest.mark.asyncio


def _approval(application: dict[str, Any]) -> str:
    return f"/v1/applications/{application['id']}/approval"


def _rejection(application: dict[str, Any]) -> str:
    return f"/v1/applications/{application['id']}/rejection"


async def _partner(client: httpx.AsyncClient, application: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(f"/v1/partners/{application['partner_id']}")
    partner: dict[str, Any] = response.json()
    return partner


async def test_an_approved_application_moves_its_partner_to_onboarding(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    application = await an_application(client)

    response = await client.post(_approval(application), json={"note": "Fills a gap in Bavaria"})

    assert response.status_code == 200, response.text
    approved = response.json()
    assert response.headers["etag"] == '"2"'
    assert approved["status"] == "approved"
    assert approved["decided_by"] == "user:cm-anna"
    assert approved["decided_at"] is not None
    assert approved["decision_reason"] == "Fills a gap in Bavaria"
    assert approved["screening_override_reason"] is None
    assert approved["version"] == 2
    partner = await _partner(client, application)
    assert partner["status"] == "onboarding"
    assert partner["status_reason"] == "Fills a gap in Bavaria"
    moved, submitted = await history(client, partner, kind="status_changed")
    assert (submitted["from_status"], submitted["to_status"]) == ("prospect", "applied")
    assert (moved["from_status"], moved["to_status"], moved["actor"]) == (
        "applied",
        "onboarding",
        "user:cm-anna",
    )
    [event] = await outbox_payloads(db, "partner_application.approved")
    assert event["data"]["application"] == approved
    assert (await client.get(f"/v1/applications/{application['id']}")).json() == approved


@pytest.mark.parametrize("mode", ["unreachable", "fail"])
async def test_an_application_not_screened_as_passed_needs_an_override_reason(
    client: httpx.AsyncClient, db: AsyncSession, scoring: FakeScoring, mode: Any
) -> None:
    scoring.mode = mode
    application = await an_application(client)
    before = await stored_counts(db)

    refused = await client.post(_approval(application), json={"note": "Looks good"})

    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"] == "/problems/screening-not-passed"
    assert problem["screening_status"] == application["screening_status"]
    assert await stored_counts(db) == before
    assert (await _partner(client, application))["status"] == "applied"

    approved = await client.post(
        _approval(application), json={"screening_override_reason": "Vetted by the regional director"}
    )

    assert approved.status_code == 200, approved.text
    assert approved.json()["screening_override_reason"] == "Vetted by the regional director"
    assert approved.json()["decision_reason"] is None
    assert (await _partner(client, application))["status"] == "onboarding"


async def test_a_rejected_application_terminates_its_partner_with_the_reason(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    application = await an_application(client)

    response = await client.post(_rejection(application), json={"reason": " Below the minimum revenue "})

    assert response.status_code == 200, response.text
    rejected = response.json()
    assert rejected["status"] == "rejected"
    assert rejected["decision_reason"] == "Below the minimum revenue"
    partner = await _partner(client, application)
    assert partner["status"] == "terminated"
    assert partner["status_reason"] == "Below the minimum revenue"
    [event] = await outbox_payloads(db, "partner_application.rejected")
    assert event["data"]["application"] == rejected


async def test_rejecting_leaves_a_partner_that_was_moved_on_by_hand_alone(client: httpx.AsyncClient) -> None:
    application = await an_application(client)
    moved = await client.post(
        f"/v1/partners/{application['partner_id']}/status-transitions", json={"to_status": "onboarding"}
    )
    assert moved.status_code == 201

    response = await client.post(_rejection(application), json={"reason": "Decided elsewhere"})

    assert response.status_code == 200
    assert (await _partner(client, application))["status"] == "onboarding"


async def _move(client: httpx.AsyncClient, application: dict[str, Any], *steps: str) -> None:
    for step in steps:
        if step == "active":  # an active partner needs a current agreement and its onboarding done
            partner = await _partner(client, application)
            await a_current_agreement(client, partner)
            await a_complete_checklist(client, partner)
        response = await client.post(
            f"/v1/partners/{application['partner_id']}/status-transitions",
            json={"to_status": step, "reason": f"by hand: to {step}"},
        )
        assert response.status_code == 201, response.text


@pytest.mark.parametrize("steps", [("onboarding",), ("onboarding", "active")])
async def test_approving_records_the_decision_for_a_partner_moved_on_by_hand(
    client: httpx.AsyncClient, db: AsyncSession, steps: tuple[str, ...]
) -> None:
    application = await an_application(client)
    await _move(client, application, *steps)
    moved_on = await _partner(client, application)

    response = await client.post(_approval(application), json={"note": "Agreed in the partner board"})

    assert response.status_code == 200, response.text
    approved = response.json()
    assert (approved["status"], approved["decision_reason"]) == ("approved", "Agreed in the partner board")
    # the partner stays where it was moved: no second transition, no history entry, no status event
    assert await _partner(client, application) == moved_on
    assert len(await outbox_payloads(db, "partner.status_changed")) == 1 + len(steps)  # applied, then by hand
    [event] = await outbox_payloads(db, "partner_application.approved")
    assert event["data"]["application"] == approved


async def test_an_application_whose_partner_was_terminated_can_only_be_rejected(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    application = await an_application(client)
    await _move(client, application, "terminated")
    before = await stored_counts(db)

    refused = await client.post(_approval(application), json={"note": "Looks good"})

    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"] == "/problems/partner-terminated"
    assert "has been terminated" in problem["detail"]
    assert "can only be rejected" in problem["detail"]
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/applications/{application['id']}")).json()["status"] == "submitted"
    rejected = await client.post(_rejection(application), json={"reason": "Terminated meanwhile"})
    assert rejected.status_code == 200, rejected.text


@pytest.mark.parametrize("second", ["approval", "rejection"])
async def test_a_decided_application_cannot_be_decided_again(
    client: httpx.AsyncClient, db: AsyncSession, second: str
) -> None:
    application = await an_application(client)
    await client.post(_approval(application), json={})
    before = await stored_counts(db)

    body = {"reason": "Changed our minds"} if second == "rejection" else {}
    response = await client.post(f"/v1/applications/{application['id']}/{second}", json=body)

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/application-decided"
    assert response.json()["current_status"] == "approved"
    assert await stored_counts(db) == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("rejection", {}),
        ("rejection", {"reason": "   "}),
        ("rejection", {"reason": "x" * 2001}),
        ("approval", {"note": "ok", "approved": True}),
        ("approval", {"screening_override_reason": ""}),
    ],
)
async def test_malformed_decisions_are_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, path: str, body: dict[str, Any]
) -> None:
    application = await an_application(client)
    before = await stored_counts(db)

    response = await client.post(f"/v1/applications/{application['id']}/{path}", json=body)

    assert response.status_code == 422
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/applications/{application['id']}")).json() == application


async def test_if_match_on_a_decision_is_checked_when_sent(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    application = await an_application(client)
    before = await stored_counts(db)

    stale = await client.post(_approval(application), json={}, headers={"If-Match": '"5"'})
    assert stale.status_code == 412
    assert await stored_counts(db) == before

    current = await client.post(_approval(application), json={}, headers={"If-Match": '"1"'})
    assert current.status_code == 200


async def test_a_retried_approval_gets_the_first_answer(client: httpx.AsyncClient, db: AsyncSession) -> None:
    application = await an_application(client)
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = await client.post(_approval(application), json={}, headers=key)
    counts = await stored_counts(db)
    retried = await client.post(_approval(application), json={}, headers=key)

    assert first.status_code == retried.status_code == 200
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true"
    assert await stored_counts(db) == counts


async def test_the_applicant_cannot_decide_on_its_own_application(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    application = await an_application(client)
    own = signed_as(partner_user({"id": application["partner_id"]}))
    before = await stored_counts(db)

    for path, body in (("approval", {}), ("rejection", {"reason": "no"}), ("screening", None)):
        response = await client.post(f"/v1/applications/{application['id']}/{path}", json=body, headers=own)
        assert response.status_code == 403, path

    assert await stored_counts(db) == before

"""After submission: a channel manager's decision, the one extension, the outcome, and the state machine that
allows exactly those moves."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from partner_registry.deal_registrations.lifecycle import check_transition, effective_status
from partner_registry.models import DealRegistration
from partner_registry.partners.lifecycle import InvalidTransition
from prm_contracts.deal_registrations import DealRegistrationStatus
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    a_deal,
    an_active_partner,
    deal_partner_user,
    outbox_payloads,
    signed_as,
    stored_counts,
)

# The arrows, written out by hand: pending_review → approved | rejected; approved → won | lost | expired.
ARROWS = {
    ("pending_review", "approved"),
    ("pending_review", "rejected"),
    ("approved", "won"),
    ("approved", "lost"),
    ("approved", "expired"),
}
S = DealRegistrationStatus


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_the_state_machine_allows_exactly_the_arrows(current: S, target: S) -> None:
    if (current.value, target.value) in ARROWS:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransition) as refused:
            check_transition(current, target)
        assert refused.value.extensions["allowed"] == [
            s.value for s in S if (current.value, s.value) in ARROWS
        ]


def test_an_approval_past_its_protection_is_expired() -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)

    assert effective_status(S.APPROVED, now, now) == S.EXPIRED
    assert effective_status(S.APPROVED, now + timedelta(microseconds=1), now) == S.APPROVED
    assert effective_status(S.PENDING_REVIEW, None, now) == S.PENDING_REVIEW
    assert effective_status(S.WON, now - timedelta(days=1), now) == S.WON


# --- through the API ---------------------------------------------------------------------------------------


async def _in_review(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """A registration in review (it shares its customer's domain with another partner's) and its partner."""
    first, second = await an_active_partner(client), await an_active_partner(client)
    await a_deal(client, first, customer_domain="globex.example")
    registration = await a_deal(client, second, customer_domain="globex.example")
    assert registration["status"] == "pending_review"
    return registration, second


def _path(registration: dict[str, Any], action: str = "") -> str:
    return f"/v1/deal-registrations/{registration['id']}" + (f"/{action}" if action else "")


async def _stored_status(db: AsyncSession, registration: dict[str, Any]) -> str:
    status = await db.scalar(
        sa.select(DealRegistration.status)
        .where(DealRegistration.id == uuid.UUID(registration["id"]))
        .execution_options(populate_existing=True)
    )
    assert status is not None
    return status


@pytest.mark.asyncio
async def test_a_channel_manager_approves_a_registration_in_review(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    registration, _partner = await _in_review(client)

    response = await client.post(
        _path(registration, "decision"),
        json={"decision": "approved", "reason": "Different business unit; no real overlap"},
        headers={"If-Match": 'W/"1"'},
    )

    assert response.status_code == 200, response.text
    approved = response.json()
    assert response.headers["etag"] == 'W/"2"'
    assert (approved["status"], approved["version"], approved["decided_by"]) == (
        "approved",
        2,
        "user:cm-dora",
    )
    assert approved["decision_reason"] == "Different business unit; no real overlap"
    assert _at(approved["protected_until"]) - _at(approved["decided_at"]) == timedelta(days=90)
    assert approved["conflicts"] == registration["conflicts"]  # the findings stay on record
    events = [
        e for e in await outbox_payloads(db, "deal_registration.approved") if e["data"]["automatic"] is False
    ]
    [event] = events
    assert (event["data"]["from_status"], event["data"]["to_status"], event["data"]["actor"]) == (
        "pending_review",
        "approved",
        "user:cm-dora",
    )
    history = (await client.get(_path(registration, "history"))).json()["items"]
    assert [(e["kind"], e["from_status"], e["to_status"]) for e in history] == [
        ("approved", "pending_review", "approved"),
        ("submitted", None, "pending_review"),
    ]
    assert history[0]["protected_until"] == approved["protected_until"]


@pytest.mark.asyncio
async def test_a_rejected_registration_is_final_and_claims_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    registration, _partner = await _in_review(client)

    rejected = await client.post(
        _path(registration, "decision"), json={"decision": "rejected", "reason": "Customer is already served"}
    )

    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["protected_until"]) == ("rejected", None)
    [event] = await outbox_payloads(db, "deal_registration.rejected")
    assert event["data"]["reason"] == "Customer is already served"
    # its name no longer conflicts: a third partner registering "the same" customer by name is approved
    third = await an_active_partner(client)
    later = await a_deal(
        client, third, customer_name=registration["customer_name"], customer_domain="globex-eu.example"
    )
    assert [c["other_registration_id"] for c in later["conflicts"]] != [registration["id"]]


@pytest.mark.asyncio
@pytest.mark.parametrize("decision", ["approved", "rejected"])
async def test_a_decided_registration_cannot_be_decided_again(
    client: httpx.AsyncClient, db: AsyncSession, decision: str
) -> None:
    registration, _partner = await _in_review(client)
    first = await client.post(_path(registration, "decision"), json={"decision": decision, "reason": "first"})
    assert first.status_code == 200
    before = await stored_counts(db)

    again = await client.post(
        _path(registration, "decision"), json={"decision": "rejected", "reason": "second"}
    )

    assert again.status_code == 409
    problem = again.json()
    assert problem["type"] == "/problems/invalid-status-transition"
    assert problem["current_status"] == decision
    assert problem["allowed"] == (["won", "lost", "expired"] if decision == "approved" else [])
    assert await stored_counts(db) == before
    assert await _stored_status(db, registration) == decision


@pytest.mark.asyncio
async def test_decisions_need_a_reason_and_belong_to_the_channel_team(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    registration, partner = await _in_review(client)
    before = await stored_counts(db)

    without_reason = await client.post(_path(registration, "decision"), json={"decision": "approved"})
    blank_reason = await client.post(
        _path(registration, "decision"), json={"decision": "approved", "reason": " "}
    )
    by_the_partner = await client.post(
        _path(registration, "decision"),
        json={"decision": "approved", "reason": "mine"},
        headers=signed_as(deal_partner_user(partner)),
    )
    stale = await client.post(
        _path(registration, "decision"),
        json={"decision": "approved", "reason": "x"},
        headers={"If-Match": 'W/"9"'},
    )

    assert (without_reason.status_code, blank_reason.status_code) == (422, 422)
    assert by_the_partner.status_code == 403
    assert stale.status_code == 412
    assert await stored_counts(db) == before
    assert await _stored_status(db, registration) == "pending_review"


@pytest.mark.asyncio
async def test_a_partner_extends_its_approved_registration_once(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await an_active_partner(client)
    me = signed_as(deal_partner_user(partner))
    registration = await a_deal(client, partner)

    extended = await client.post(
        _path(registration, "extension"), json={"reason": "Decision moved to Q3"}, headers=me
    )

    assert extended.status_code == 200, extended.text
    body = extended.json()
    assert _at(body["protected_until"]) - _at(registration["protected_until"]) == timedelta(days=30)
    assert (body["extension_used"], body["status"], body["version"]) == (True, "approved", 2)
    [event] = await outbox_payloads(db, "deal_registration.extended")
    assert event["data"]["previous_protected_until"] == registration["protected_until"]
    assert event["data"]["protected_until"] == body["protected_until"]
    history = (await client.get(_path(registration, "history"), headers=me)).json()["items"]
    assert (history[0]["kind"], history[0]["reason"]) == ("extended", "Decision moved to Q3")

    before = await stored_counts(db)
    second = await client.post(_path(registration, "extension"), headers=me)
    assert second.status_code == 409
    assert second.json()["type"] == "/problems/extension-already-used"
    assert await stored_counts(db) == before


@pytest.mark.asyncio
async def test_the_extension_length_is_a_setting(registry_with: Any) -> None:
    async with registry_with(deal_protection_days=10, deal_extension_days=5) as (client, _db, _app):
        registration = await a_deal(client, await an_active_partner(client))
        extended = (await client.post(_path(registration, "extension"))).json()

    assert _at(registration["protected_until"]) - _at(registration["decided_at"]) == timedelta(days=10)
    assert _at(extended["protected_until"]) - _at(registration["protected_until"]) == timedelta(days=5)


@pytest.mark.asyncio
async def test_only_an_approved_registration_can_be_extended(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    registration, partner = await _in_review(client)
    before = await stored_counts(db)

    response = await client.post(
        _path(registration, "extension"), headers=signed_as(deal_partner_user(partner))
    )

    assert response.status_code == 409
    assert (response.json()["type"], response.json()["current_status"]) == (
        "/problems/extension-not-allowed",
        "pending_review",
    )
    assert await stored_counts(db) == before


@pytest.mark.asyncio
async def test_a_won_deal_records_its_final_amount(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await an_active_partner(client)
    registration = await a_deal(client, partner)

    won = await client.post(
        _path(registration, "outcome"),
        json={"outcome": "won", "final_amount": {"amount": "23800.5", "currency": "EUR"}},
        headers=signed_as(deal_partner_user(partner)),
    )

    assert won.status_code == 200, won.text
    body = won.json()
    assert (body["status"], body["final_amount"], body["lost_reason"]) == (
        "won",
        {"amount": "23800.50", "currency": "EUR"},
        None,
    )
    assert body["closed_at"] is not None
    [event] = await outbox_payloads(db, "deal_registration.won")
    assert event["data"]["final_amount"] == {"amount": "23800.5", "currency": "EUR"}
    assert event["data"]["registration"]["status"] == "won"


@pytest.mark.asyncio
async def test_a_lost_deal_records_why(client: httpx.AsyncClient, db: AsyncSession) -> None:
    registration = await a_deal(client, await an_active_partner(client))

    lost = await client.post(
        _path(registration, "outcome"), json={"outcome": "lost", "reason": "Chose a competitor"}
    )

    assert lost.status_code == 200, lost.text
    assert (lost.json()["status"], lost.json()["lost_reason"], lost.json()["final_amount"]) == (
        "lost",
        "Chose a competitor",
        None,
    )
    [event] = await outbox_payloads(db, "deal_registration.lost")
    assert (event["data"]["from_status"], event["data"]["reason"]) == ("approved", "Chose a competitor")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"outcome": "won"}, ["body", "won", "final_amount"]),
        (
            {"outcome": "won", "final_amount": {"amount": "0", "currency": "EUR"}},
            ["body", "won", "final_amount"],
        ),
        ({"outcome": "lost"}, ["body", "lost", "reason"]),
        (
            {"outcome": "lost", "reason": "x", "final_amount": {"amount": "1", "currency": "EUR"}},
            ["body", "lost", "final_amount"],
        ),
        ({"outcome": "draw"}, ["body"]),
    ],
)
async def test_outcomes_need_their_facts(
    client: httpx.AsyncClient, db: AsyncSession, body: dict[str, Any], loc: list[str]
) -> None:
    registration = await a_deal(client, await an_active_partner(client))
    before = await stored_counts(db)

    response = await client.post(_path(registration, "outcome"), json=body)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == loc
    assert await stored_counts(db) == before


@pytest.mark.asyncio
async def test_an_outcome_needs_an_approved_registration(client: httpx.AsyncClient, db: AsyncSession) -> None:
    registration, _partner = await _in_review(client)
    before = await stored_counts(db)

    response = await client.post(_path(registration, "outcome"), json={"outcome": "lost", "reason": "x"})

    assert response.status_code == 409
    assert response.json()["allowed"] == ["approved", "rejected"]
    assert await stored_counts(db) == before


@pytest.mark.asyncio
async def test_a_closed_registration_takes_no_second_outcome(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    registration = await a_deal(client, await an_active_partner(client))
    await client.post(_path(registration, "outcome"), json={"outcome": "lost", "reason": "x"})
    before = await stored_counts(db)

    again = await client.post(
        _path(registration, "outcome"),
        json={"outcome": "won", "final_amount": {"amount": "1", "currency": "EUR"}},
    )
    extension = await client.post(_path(registration, "extension"))

    assert again.status_code == 409
    assert again.json()["current_status"] == "lost"
    assert extension.status_code == 409
    assert await stored_counts(db) == before


@pytest.mark.asyncio
async def test_another_partners_registration_is_out_of_reach(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    mine, theirs = await an_active_partner(client), await an_active_partner(client)
    registration = await a_deal(client, theirs)
    me = signed_as(deal_partner_user(mine))
    before = await stored_counts(db)

    for response in (
        await client.get(_path(registration), headers=me),
        await client.get(_path(registration, "history"), headers=me),
        await client.post(_path(registration, "extension"), headers=me),
        await client.post(
            _path(registration, "outcome"), json={"outcome": "lost", "reason": "x"}, headers=me
        ),
    ):
        assert response.status_code == 403
    assert (await client.get(f"/v1/deal-registrations/{uuid.uuid4()}", headers=me)).status_code == 404
    assert await stored_counts(db) == before


@pytest.mark.asyncio
async def test_a_retried_decision_gets_the_first_answer(client: httpx.AsyncClient, db: AsyncSession) -> None:
    registration, _partner = await _in_review(client)
    key = {"Idempotency-Key": "approve-once"}
    body = {"decision": "approved", "reason": "fine"}

    first = await client.post(_path(registration, "decision"), json=body, headers=key)
    counts = await stored_counts(db)
    retried = await client.post(_path(registration, "decision"), json=body, headers=key)

    assert first.status_code == retried.status_code == 200
    assert retried.content == first.content
    assert await stored_counts(db) == counts

"""The partner lifecycle: the state machine on its own, then transitions through the API."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx
import pytest
from partner_registry.partners.lifecycle import InvalidTransition, check_transition
from prm_contracts.partners import PartnerStatus
from prm_contracts.problem import UnprocessableContent
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    ANALYST,
    a_complete_checklist,
    a_current_agreement,
    a_partner,
    history,
    moved_to,
    outbox_payloads,
    partner_user,
    signed_as,
    stored_counts,
)

# The arrows of the lifecycle, written out by hand: prospect → applied → onboarding → active ⇄ suspended,
# and every state but terminated → terminated.
ARROWS = {
    ("prospect", "applied"),
    ("applied", "onboarding"),
    ("onboarding", "active"),
    ("active", "suspended"),
    ("suspended", "active"),
    *((state, "terminated") for state in ("prospect", "applied", "onboarding", "active", "suspended")),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(PartnerStatus, PartnerStatus)))
def test_the_state_machine_allows_exactly_the_arrows(current: PartnerStatus, target: PartnerStatus) -> None:
    reason = "a reason"
    if (current.value, target.value) in ARROWS:
        check_transition(current, target, reason)
    else:
        with pytest.raises(InvalidTransition) as refused:
            check_transition(current, target, reason)
        assert refused.value.extensions["allowed"] == sorted(
            (to for frm, to in ARROWS if frm == current.value), key=[s.value for s in PartnerStatus].index
        )


@pytest.mark.parametrize("target", [PartnerStatus.SUSPENDED, PartnerStatus.TERMINATED])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_suspending_and_terminating_need_a_reason(target: PartnerStatus, reason: str | None) -> None:
    with pytest.raises(UnprocessableContent):
        check_transition(PartnerStatus.ACTIVE, target, reason)


def test_other_moves_need_no_reason() -> None:
    check_transition(PartnerStatus.PROSPECT, PartnerStatus.APPLIED, None)
    check_transition(PartnerStatus.SUSPENDED, PartnerStatus.ACTIVE, None)


# --- through the API ---------------------------------------------------------------------------------------


async def _transition(
    client: httpx.AsyncClient,
    partner: dict[str, Any],
    to_status: str,
    reason: str | None = None,
    **headers: str,
) -> httpx.Response:
    body: dict[str, Any] = {"to_status": to_status}
    if reason is not None:
        body["reason"] = reason
    return await client.post(f"/v1/partners/{partner['id']}/status-transitions", json=body, headers=headers)


@pytest.mark.asyncio
async def test_a_partner_walks_its_whole_lifecycle_and_each_step_is_recorded(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    await a_current_agreement(client, partner)  # an active partner needs one
    await a_complete_checklist(client, partner)  # and its onboarding done
    steps = [
        ("applied", None),
        ("onboarding", "Application approved by channel committee"),
        ("active", None),
        ("suspended", "Unpaid invoices for 90 days"),
        ("active", "Invoices settled"),
        ("terminated", "Agreement ended by mutual consent"),
    ]

    previous = "prospect"
    for version, (to_status, reason) in enumerate(steps, start=2):
        response = await _transition(client, partner, to_status, reason)
        assert response.status_code == 201, response.text
        transition = response.json()
        assert transition["from_status"] == previous
        assert transition["to_status"] == to_status
        assert transition["reason"] == reason
        assert transition["transitioned_by"] == "user:cm-anna"
        assert transition["partner"]["status"] == to_status
        assert transition["partner"]["status_reason"] == reason
        assert transition["partner"]["status_changed_at"] == transition["transitioned_at"]
        assert transition["partner"]["version"] == version
        previous = to_status

    entries = await history(client, partner, kind="status_changed")
    assert [(e["from_status"], e["to_status"], e["reason"]) for e in reversed(entries)] == [
        ("prospect", "applied", None),
        *(((steps[i - 1][0], to, reason) for i, (to, reason) in enumerate(steps) if i > 0)),
    ]
    assert all(e["actor"] == "user:cm-anna" for e in entries)
    events = await outbox_payloads(db, "partner.status_changed")
    assert sorted((e["data"]["from_status"], e["data"]["to_status"]) for e in events) == sorted(
        [
            ("prospect", "applied"),
            ("applied", "onboarding"),
            ("onboarding", "active"),
            ("active", "suspended"),
            ("suspended", "active"),
            ("active", "terminated"),
        ]
    )
    final = (await client.get(f"/v1/partners/{partner['id']}")).json()
    assert final["status"] == "terminated"
    assert final["version"] == 7


@pytest.mark.asyncio
async def test_an_invalid_transition_is_409_naming_the_allowed_ones(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    response = await _transition(client, partner, "active")

    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "/problems/invalid-status-transition"
    assert problem["current_status"] == "prospect"
    assert problem["allowed"] == ["applied", "terminated"]
    assert "prospect to active" in problem["detail"]
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/partners/{partner['id']}")).json() == partner


@pytest.mark.asyncio
async def test_terminated_is_final(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await moved_to(client, await a_partner(client), "terminated")
    before = await stored_counts(db)

    response = await _transition(client, partner, "active", "Changed our minds")

    assert response.status_code == 409
    assert response.json()["allowed"] == []
    assert await stored_counts(db) == before


@pytest.mark.asyncio
async def test_moving_to_the_current_status_is_not_a_transition(client: httpx.AsyncClient) -> None:
    partner = await moved_to(client, await a_partner(client), "active")

    response = await _transition(client, partner, "active")

    assert response.status_code == 409
    assert response.json()["allowed"] == ["suspended", "terminated"]


@pytest.mark.asyncio
@pytest.mark.parametrize(("start", "to_status"), [("active", "suspended"), ("onboarding", "terminated")])
@pytest.mark.parametrize("reason", [None, "  "])
async def test_suspension_and_termination_without_a_reason_are_422(
    client: httpx.AsyncClient, db: AsyncSession, start: str, to_status: str, reason: str | None
) -> None:
    partner = await moved_to(client, await a_partner(client), start)
    before = await stored_counts(db)

    response = await _transition(client, partner, to_status, reason)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "reason"]
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/partners/{partner['id']}")).json()["status"] == start


@pytest.mark.asyncio
async def test_if_match_on_a_transition_is_checked_when_sent(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    stale = await _transition(client, partner, "applied", **{"If-Match": '"9"'})
    assert stale.status_code == 412
    assert await stored_counts(db) == before

    current = await _transition(client, partner, "applied", **{"If-Match": '"1"'})
    assert current.status_code == 201


@pytest.mark.asyncio
async def test_a_retried_transition_gets_the_first_answer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = await _transition(client, partner, "applied", **key)
    counts = await stored_counts(db)
    retried = await _transition(client, partner, "applied", **key)

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true"
    assert await stored_counts(db) == counts
    # without the key the same request is a new one, and applied → applied is not allowed
    assert (await _transition(client, partner, "applied")).status_code == 409


@pytest.mark.asyncio
@pytest.mark.parametrize("body", [{}, {"to_status": "dormant"}, {"to_status": "applied", "by": "me"}])
async def test_malformed_transitions_are_422(
    client: httpx.AsyncClient, db: AsyncSession, body: dict[str, Any]
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    response = await client.post(f"/v1/partners/{partner['id']}/status-transitions", json=body)

    assert response.status_code == 422
    assert await stored_counts(db) == before


@pytest.mark.asyncio
async def test_an_unknown_partner_has_no_lifecycle(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"/v1/partners/{uuid.uuid4()}/status-transitions", json={"to_status": "applied"}
    )

    assert response.status_code == 404


@pytest.mark.asyncio
async def test_only_the_channel_team_moves_partners_along(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    own = await _transition(client, partner, "applied", **signed_as(partner_user(partner)))
    reader = await _transition(client, partner, "applied", **signed_as(ANALYST))

    assert own.status_code == reader.status_code == 403
    assert await stored_counts(db) == before

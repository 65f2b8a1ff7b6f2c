"""Changing a partner's tier: by hand or applying a scoring recommendation, what is recorded and announced,
and what is refused."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    ANALYST,
    a_partner,
    days_from_today,
    history,
    moved_to,
    outbox_payloads,
    partner_user,
    signed_as,
    stored_counts,
    stored_partner,
)

pytestmark = pytest.mark.asyncio


async def _a_partner_in(client: httpx.AsyncClient, tier: str) -> dict[str, Any]:
    """A new partner moved to `tier` by a tier change (the only way a tier is set)."""
    partner = await a_partner(client)
    changed = await _change(client, partner, {"tier": tier, "reason": "Onboarded at this tier"})
    assert changed.status_code == 201, changed.text
    fresh: dict[str, Any] = (await client.get(f"/v1/partners/{partner['id']}")).json()
    return fresh


async def _change(
    client: httpx.AsyncClient, partner: dict[str, Any], body: dict[str, Any], **headers: str
) -> httpx.Response:
    return await client.post(f"/v1/partners/{partner['id']}/tier-changes", json=body, headers=headers)


async def _tier_history(client: httpx.AsyncClient, partner: dict[str, Any], **params: Any) -> dict[str, Any]:
    response = await client.get(f"/v1/partners/{partner['id']}/tier-history", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_a_manual_tier_change_moves_the_partner_and_is_recorded_and_announced(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    assert partner["tier"] is None

    response = await _change(
        client,
        partner,
        {"tier": "silver", "reason": "Onboarding complete", "effective_on": days_from_today(-3)},
    )

    assert response.status_code == 201, response.text
    change = response.json()
    assert change["partner_id"] == partner["id"]
    assert (change["from_tier"], change["to_tier"]) == (None, "silver")
    assert change["effective_on"] == days_from_today(-3)
    assert change["reason"] == "Onboarding complete"
    assert (change["source"], change["recommendation_id"]) == ("manual", None)
    assert change["changed_by"] == "user:cm-anna"
    assert change["partner_version"] == 2

    after = (await client.get(f"/v1/partners/{partner['id']}")).json()
    assert (after["tier"], after["version"]) == ("silver", 2)
    assert after["updated_at"] == change["changed_at"]

    entry = (await history(client, partner))[0]
    assert entry["kind"] == "tier_changed"
    assert entry["changes"] == [{"field": "tier", "before": None, "after": "silver"}]
    assert entry["reason"] == "Onboarding complete"
    assert (entry["partner_version"], entry["actor"]) == (2, "user:cm-anna")

    events = await outbox_payloads(db, "partner.tier_changed")
    assert len(events) == 1
    assert events[0]["source"] == "partner-registry"
    assert events[0]["data"] == {
        "partner_id": partner["id"],
        "tier_change_id": change["id"],
        "from_tier": None,
        "to_tier": "silver",
        "effective_on": days_from_today(-3),
        "reason": "Onboarding complete",
        "source": "manual",
        "recommendation_id": None,
        "changed_at": change["changed_at"],
    }
    assert (await _tier_history(client, partner))["items"] == [change]


async def test_applying_a_scoring_recommendation_records_it_once(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await _a_partner_in(client, "silver")
    recommendation_id = str(uuid.uuid4())
    body = {
        "tier": "gold",
        "reason": "Tier review 2026: score 87 of 100",
        "source": "scoring_recommendation",
        "recommendation_id": recommendation_id,
    }

    applied = await _change(client, partner, body)

    assert applied.status_code == 201, applied.text
    assert (applied.json()["from_tier"], applied.json()["to_tier"]) == ("silver", "gold")
    assert applied.json()["effective_on"] == days_from_today(0)
    assert (applied.json()["source"], applied.json()["recommendation_id"]) == (
        "scoring_recommendation",
        recommendation_id,
    )
    events = [e["data"] for e in await outbox_payloads(db, "partner.tier_changed")]
    assert [(e["from_tier"], e["to_tier"]) for e in events] == [(None, "silver"), ("silver", "gold")]
    assert (events[1]["source"], events[1]["recommendation_id"]) == (
        "scoring_recommendation",
        recommendation_id,
    )

    # the same recommendation again (here after the partner moved on) is refused, naming the first change
    await _change(client, partner, {"tier": "silver", "reason": "Correction"})
    before = await stored_counts(db)
    again = await _change(client, partner, body)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/recommendation-already-applied"
    assert again.json()["tier_change_id"] == applied.json()["id"]
    assert await stored_counts(db) == before


async def test_the_tier_history_lists_changes_newest_first_in_pages(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    path = ["registered", "silver", "gold", "platinum", "gold"]
    for days_ago, tier in zip([40, 30, 20, 10, 0], path, strict=True):
        response = await _change(
            client,
            partner,
            {"tier": tier, "reason": f"to {tier}", "effective_on": days_from_today(-days_ago)},
        )
        assert response.status_code == 201, response.text

    seen, cursor = [], None
    while True:
        page = await _tier_history(client, partner, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [(c["from_tier"], c["to_tier"], c["effective_on"]) for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [
        ("platinum", "gold", days_from_today(0)),
        ("gold", "platinum", days_from_today(-10)),
        ("silver", "gold", days_from_today(-20)),
        ("registered", "silver", days_from_today(-30)),
        (None, "registered", days_from_today(-40)),
    ]
    assert (await client.get(f"/v1/partners/{partner['id']}")).json()["tier"] == "gold"
    for bad in ["garbage", "e30"]:
        response = await client.get(f"/v1/partners/{partner['id']}/tier-history", params={"cursor": bad})
        assert response.status_code == 422


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"tier": "diamond", "reason": "Unknown tier"}, ["body", "tier"]),
        ({"tier": "Gold!", "reason": "Not a key"}, ["body", "tier"]),
        ({"tier": "gold"}, ["body", "reason"]),
        ({"tier": "gold", "reason": "   "}, ["body", "reason"]),
        ({"tier": "gold", "reason": "x", "effective_on": days_from_today(1)}, ["body", "effective_on"]),
        ({"tier": "gold", "reason": "x", "effective_on": "2026-02-30"}, ["body", "effective_on"]),
        ({"tier": "gold", "reason": "x", "effective_on": 1767225600}, ["body", "effective_on"]),
        ({"tier": "gold", "reason": "x", "source": "scoring_recommendation"}, ["body", "recommendation_id"]),
        (
            {"tier": "gold", "reason": "x", "recommendation_id": str(uuid.uuid4())},
            ["body", "recommendation_id"],
        ),
        ({"tier": "gold", "reason": "x", "source": "gut_feeling"}, ["body", "source"]),
        ({"tier": "gold", "reason": "x", "partner_id": str(uuid.uuid4())}, ["body", "partner_id"]),
    ],
)
async def test_an_invalid_tier_change_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, body: dict[str, Any], loc: list[str]
) -> None:
    partner = await _a_partner_in(client, "silver")
    before = await stored_counts(db)

    response = await _change(client, partner, body)

    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/partners/{partner['id']}")).json() == partner


async def test_an_unknown_tier_names_the_ladder(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)

    response = await _change(client, partner, {"tier": "diamond", "reason": "Top"})

    assert response.status_code == 422
    assert "registered, silver, gold, platinum" in response.json()["detail"]


async def test_a_change_effective_before_the_last_one_is_422(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    await _change(client, partner, {"tier": "silver", "reason": "First", "effective_on": days_from_today(-5)})
    before = await stored_counts(db)

    earlier = await _change(
        client, partner, {"tier": "gold", "reason": "x", "effective_on": days_from_today(-6)}
    )
    same_day = await _change(
        client, partner, {"tier": "gold", "reason": "x", "effective_on": days_from_today(-5)}
    )

    assert earlier.status_code == 422
    assert earlier.json()["errors"][0]["loc"] == ["body", "effective_on"]
    assert same_day.status_code == 201
    assert await stored_counts(db) != before


async def test_moving_a_partner_to_the_tier_it_holds_is_409(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await _a_partner_in(client, "gold")
    before = await stored_counts(db)

    response = await _change(client, partner, {"tier": "gold", "reason": "Again"})

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/tier-unchanged"
    assert await stored_counts(db) == before


async def test_a_terminated_partner_keeps_its_tier(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await moved_to(client, await _a_partner_in(client, "gold"), "terminated")
    before = await stored_counts(db)

    response = await _change(client, partner, {"tier": "silver", "reason": "Too late"})

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/partner-terminated"
    assert await stored_counts(db) == before


async def test_if_match_on_a_tier_change_is_checked_when_sent(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    body = {"tier": "silver", "reason": "Review"}
    before = await stored_counts(db)

    stale = await _change(client, partner, body, **{"If-Match": '"7"'})
    assert stale.status_code == 412
    assert stale.headers["etag"] == '"1"'
    assert await stored_counts(db) == before

    assert (await _change(client, partner, body, **{"If-Match": '"1"'})).status_code == 201


async def test_a_retried_tier_change_gets_the_first_answer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"tier": "silver", "reason": "Review"}

    first = await _change(client, partner, body, **key)
    counts = await stored_counts(db)
    retried = await _change(client, partner, body, **key)

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true"
    assert await stored_counts(db) == counts


async def test_only_the_channel_team_changes_tiers_but_the_partner_reads_its_history(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    await _change(client, partner, {"tier": "silver", "reason": "Review"})
    before = await stored_counts(db)

    own = await _change(
        client, partner, {"tier": "platinum", "reason": "Please"}, **signed_as(partner_user(partner))
    )
    reader = await _change(client, partner, {"tier": "platinum", "reason": "Please"}, **signed_as(ANALYST))

    assert own.status_code == reader.status_code == 403
    assert await stored_counts(db) == before
    path = f"/v1/partners/{partner['id']}/tier-history"
    assert (
        await client.get(path, headers=signed_as(partner_user(partner, "partners:read")))
    ).status_code == 200
    assert (
        await client.get(path, headers=signed_as(partner_user(other, "partners:read")))
    ).status_code == 403
    assert (await client.get(f"/v1/partners/{uuid.uuid4()}/tier-history")).status_code == 404
    assert (
        await _change(client, {"id": str(uuid.uuid4())}, {"tier": "gold", "reason": "x"})
    ).status_code == 404
    stored = await stored_partner(db, partner["id"])
    assert stored is not None
    assert stored.tier == "silver"

"""Listing deal registrations: filters, keyset pages, and who sees which."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from ..factories import DEAL_VIEWER, a_deal, an_active_partner, deal_partner_user, signed_as
from ..fakes import Clock

pytestmark = pytest.mark.asyncio


async def _ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/v1/deal-registrations", params=params)
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["items"]]


async def test_filters_combine_and_each_narrows(client: httpx.AsyncClient, clock: Clock) -> None:
    first, second = await an_active_partner(client), await an_active_partner(client)
    a = await a_deal(client, first, customer_domain="globex.example")  # approved
    # a's protection is extended by the default 30 days to 120: it runs out 30 days after c's
    extended = await client.post(f"/v1/deal-registrations/{a['id']}/extension")
    assert extended.status_code == 200, extended.text
    clock.advance(minutes=1)
    b = await a_deal(client, second, customer_domain="https://www.globex.example")  # pending, conflicts
    clock.advance(minutes=1)
    c = await a_deal(client, second, customer_domain="initech.example")  # approved
    clock.advance(minutes=1)
    lost = await a_deal(client, first, customer_domain="hooli.example")
    await client.post(f"/v1/deal-registrations/{lost['id']}/outcome", json={"outcome": "lost", "reason": "x"})
    # c's protection runs out in 5 days, a's in 35 (of its 120)
    clock.set(datetime.fromisoformat(c["protected_until"].replace("Z", "+00:00")) - timedelta(days=5))

    assert await _ids(client) == [lost["id"], c["id"], b["id"], a["id"]]  # newest first
    assert await _ids(client, partner_id=second["id"]) == [c["id"], b["id"]]
    assert await _ids(client, status="pending_review") == [b["id"]]
    assert await _ids(client, status=["approved", "lost"]) == [lost["id"], c["id"], a["id"]]
    assert await _ids(client, customer_domain="GLOBEX.example/path") == [b["id"], a["id"]]
    assert await _ids(client, has_conflicts="true") == [b["id"]]
    assert await _ids(client, has_conflicts="false", partner_id=second["id"]) == [c["id"]]
    assert await _ids(client, expiring_within_days=7) == [c["id"]]
    assert await _ids(client, expiring_within_days=90) == [c["id"], a["id"]]
    assert await _ids(client, expiring_within_days=7, partner_id=first["id"]) == []


async def test_lists_are_paged_by_cursor(client: httpx.AsyncClient) -> None:
    partner = await an_active_partner(client)
    made = [await a_deal(client, partner) for _ in range(5)]

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/deal-registrations", params=params)).json()
        seen += [r["id"] for r in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert seen == [r["id"] for r in reversed(made)]


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"status": "maybe"},
        {"customer_domain": "not a domain"},
        {"expiring_within_days": 0},
        {"limit": 500},
    ],
)
async def test_bad_list_parameters_are_422(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await client.get("/v1/deal-registrations", params=params)

    assert response.status_code == 422


async def test_a_partner_lists_only_its_own_registrations(client: httpx.AsyncClient) -> None:
    mine, theirs = await an_active_partner(client), await an_active_partner(client)
    own = await a_deal(client, mine, customer_domain="globex.example")
    await a_deal(client, theirs, customer_domain="globex.example")
    me = signed_as(deal_partner_user(mine))

    listed = await client.get("/v1/deal-registrations", headers=me)
    named = await client.get("/v1/deal-registrations", params={"partner_id": mine["id"]}, headers=me)
    others = await client.get("/v1/deal-registrations", params={"partner_id": theirs["id"]}, headers=me)

    assert [r["id"] for r in listed.json()["items"]] == [own["id"]]
    assert [r["id"] for r in named.json()["items"]] == [own["id"]]
    assert others.status_code == 403


async def test_a_deal_viewer_reads_everything_in_full(client: httpx.AsyncClient) -> None:
    first, second = await an_active_partner(client), await an_active_partner(client)
    await a_deal(client, first, customer_domain="globex.example")
    pending = await a_deal(client, second, customer_domain="globex.example")

    listed = (await client.get("/v1/deal-registrations", headers=signed_as(DEAL_VIEWER))).json()["items"]

    assert len(listed) == 2
    assert listed[0]["id"] == pending["id"]
    assert listed[0]["conflicts"][0]["other_partner_id"] == first["id"]

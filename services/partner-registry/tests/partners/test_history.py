"""A partner's history: every change, newest first, in keyset pages."""

from __future__ import annotations

import uuid

import httpx
import pytest

from ..factories import ANALYST, a_contact, a_partner, moved_to, partner_user, signed_as

pytestmark = pytest.mark.asyncio


async def test_every_kind_of_change_is_listed_newest_first(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client, region="DACH")
    await client.patch(
        f"/v1/partners/{partner['id']}", json={"region": "Benelux"}, headers={"If-Match": '"1"'}
    )
    partner = await moved_to(client, partner, "applied")
    contact = await a_contact(client, partner, role="primary")
    await client.patch(
        f"/v1/partners/{partner['id']}/contacts/{contact['id']}",
        json={"phone": "+49 30 1234567"},
        headers={"If-Match": '"1"'},
    )
    await client.delete(f"/v1/partners/{partner['id']}/contacts/{contact['id']}")

    response = await client.get(f"/v1/partners/{partner['id']}/history")

    assert response.status_code == 200
    entries = response.json()["items"]
    assert [e["kind"] for e in entries] == [
        "contact_removed",
        "contact_updated",
        "contact_added",
        "status_changed",
        "updated",
        "created",
    ]
    assert response.json()["next_cursor"] is None
    removed, updated_contact, added, transition, update, _created = entries
    assert update["changes"] == [{"field": "region", "before": "DACH", "after": "Benelux"}]
    assert transition["changes"] == [{"field": "status", "before": "prospect", "after": "applied"}]
    assert added["contact_id"] == contact["id"]
    assert {"field": "role", "before": None, "after": "primary"} in added["changes"]
    assert updated_contact["changes"] == [{"field": "phone", "before": None, "after": "+49 30 1234567"}]
    assert {"field": "email", "before": contact["email"], "after": None} in removed["changes"]
    # contact changes do not change the partner's version
    assert [e["partner_version"] for e in entries] == [3, 3, 3, 3, 2, 1]
    occurred = [e["occurred_at"] for e in entries]
    assert occurred == sorted(occurred, reverse=True)


async def test_history_pages_and_filters(client: httpx.AsyncClient) -> None:
    partner = await moved_to(client, await a_partner(client), "suspended")  # created + 4 transitions

    seen, cursor = [], None
    while True:
        params: dict[str, object] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(f"/v1/partners/{partner['id']}/history", params=params)).json()
        seen += [(e["kind"], e["to_status"]) for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [
        ("status_changed", "suspended"),
        ("status_changed", "active"),
        ("status_changed", "onboarding"),
        ("status_changed", "applied"),
        ("created", "prospect"),
    ]
    only_created = await client.get(f"/v1/partners/{partner['id']}/history", params={"kind": "created"})
    assert [e["kind"] for e in only_created.json()["items"]] == ["created"]


async def test_a_bad_history_cursor_is_422(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    listed = await client.get("/v1/partners", params={"limit": 1})

    # a cursor of another list is refused too
    for cursor in ["garbage", "e30", listed.json()["next_cursor"] or "e30"]:
        response = await client.get(f"/v1/partners/{partner['id']}/history", params={"cursor": cursor})
        assert response.status_code == 422


async def test_who_may_read_a_partners_history(client: httpx.AsyncClient) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    path = f"/v1/partners/{partner['id']}/history"

    assert (await client.get(path, headers=signed_as(ANALYST))).status_code == 200
    assert (
        await client.get(path, headers=signed_as(partner_user(partner, "partners:read")))
    ).status_code == 200
    assert (
        await client.get(path, headers=signed_as(partner_user(other, "partners:read")))
    ).status_code == 403
    assert (await client.get(f"/v1/partners/{uuid.uuid4()}/history")).status_code == 404

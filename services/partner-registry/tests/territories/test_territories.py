"""A partner's territories: assigning, reading, changing, removing, and overlaps stored and flagged as
conflicts."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from partner_registry.models import Territory, TerritoryConflict
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    ANALYST,
    a_partner,
    a_territory,
    history,
    moved_to,
    partner_user,
    signed_as,
    stored_counts,
    territory_body,
)

pytestmark = pytest.mark.asyncio


def _territories(partner: dict[str, Any]) -> str:
    return f"/v1/partners/{partner['id']}/territories"


async def _conflicts(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/territories/conflicts", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_territory_is_assigned_read_changed_and_removed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)

    added = await client.post(
        _territories(partner),
        json={"country": "de", "region": " Bavaria ", "segment": "enterprise", "exclusive": True},
    )
    assert added.status_code == 201, added.text
    territory = added.json()
    assert added.headers["location"] == f"{_territories(partner)}/{territory['id']}"
    assert added.headers["etag"] == 'W/"1"'
    assert {k: territory[k] for k in ("partner_id", "country", "region", "segment", "exclusive")} == {
        "partner_id": partner["id"],
        "country": "DE",
        "region": "Bavaria",
        "segment": "enterprise",
        "exclusive": True,
    }
    assert (territory["conflict_count"], territory["conflicting_territory_ids"]) == (0, [])

    read = await client.get(f"{_territories(partner)}/{territory['id']}")
    assert read.json() == territory
    assert read.headers["etag"] == 'W/"1"'

    changed = await client.patch(
        f"{_territories(partner)}/{territory['id']}",
        json={"region": None, "segment": None},
        headers={"If-Match": 'W/"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["region"], changed.json()["segment"], changed.json()["version"]) == (None, None, 2)
    assert changed.headers["etag"] == 'W/"2"'

    removed = await client.delete(f"{_territories(partner)}/{territory['id']}", headers={"If-Match": '"2"'})
    assert removed.status_code == 204
    assert (await client.get(f"{_territories(partner)}/{territory['id']}")).status_code == 404
    assert await db.scalar(sa.select(sa.func.count()).select_from(Territory)) == 0

    entries = await history(client, partner)
    assert [e["kind"] for e in entries][:3] == ["territory_removed", "territory_updated", "territory_added"]
    assert {e["territory_id"] for e in entries[:3]} == {territory["id"]}
    assert {"field": "region", "before": "Bavaria", "after": None} in entries[1]["changes"]


async def test_an_overlap_with_an_exclusive_territory_is_stored_and_flagged(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    holder, newcomer = await a_partner(client), await a_partner(client)
    exclusive = await a_territory(client, holder, region=None, exclusive=True)

    response = await client.post(_territories(newcomer), json=territory_body(region="Bavaria", segment="smb"))

    assert response.status_code == 201, response.text
    overlapping = response.json()
    assert overlapping["conflict_count"] == 1
    assert overlapping["conflicting_territory_ids"] == [exclusive["id"]]
    # the exclusive territory is flagged too
    again = (await client.get(f"{_territories(holder)}/{exclusive['id']}")).json()
    assert (again["conflict_count"], again["conflicting_territory_ids"]) == (1, [overlapping["id"]])
    [conflict] = await _conflicts(client)
    assert {k: v for k, v in conflict.items() if k not in {"id", "detected_at"}} == {
        "territory_id": overlapping["id"],
        "partner_id": newcomer["id"],
        "other_territory_id": exclusive["id"],
        "other_partner_id": holder["id"],
        "country": "DE",
        "region": "Bavaria",  # they overlap where the narrower one lies
        "segment": "smb",
        "exclusive_territory_ids": [exclusive["id"]],
    }
    assert await db.scalar(sa.select(sa.func.count()).select_from(TerritoryConflict)) == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"exclusive": False}, {"exclusive": False}),  # neither exclusive
        ({"exclusive": True, "region": "Bavaria"}, {"exclusive": True, "region": "Saxony"}),
        ({"exclusive": True, "segment": "smb"}, {"exclusive": True, "segment": "enterprise"}),
        ({"exclusive": True, "country": "DE"}, {"exclusive": True, "country": "AT"}),
    ],
)
async def test_territories_that_do_not_overlap_exclusively_are_not_conflicts(
    client: httpx.AsyncClient, first: dict[str, Any], second: dict[str, Any]
) -> None:
    one, other = await a_partner(client), await a_partner(client)
    await a_territory(client, one, **first)

    territory = await a_territory(client, other, **second)

    assert territory["conflict_count"] == 0
    assert await _conflicts(client) == []


async def test_a_partners_own_territories_never_conflict(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    await a_territory(client, partner, region=None, exclusive=True)

    territory = await a_territory(client, partner, region="Bavaria", exclusive=True)

    assert territory["conflict_count"] == 0


async def test_changing_or_removing_a_territory_recomputes_its_conflicts(client: httpx.AsyncClient) -> None:
    holder, one, two = await a_partner(client), await a_partner(client), await a_partner(client)
    exclusive = await a_territory(client, holder, region=None, exclusive=True)
    first = await a_territory(client, one, region="Bavaria")
    second = await a_territory(client, two, region="Saxony")
    assert len(await _conflicts(client)) == 2

    # the exclusive territory shrinks to Bavaria: only the first still overlaps it
    shrunk = await client.patch(
        f"{_territories(holder)}/{exclusive['id']}", json={"region": "Bavaria"}, headers={"If-Match": 'W/"1"'}
    )
    assert shrunk.json()["conflicting_territory_ids"] == [first["id"]]
    [conflict] = await _conflicts(client)
    assert (conflict["territory_id"], conflict["other_territory_id"]) == (exclusive["id"], first["id"])
    second_now = (await client.get(f"{_territories(two)}/{second['id']}")).json()
    assert second_now["conflict_count"] == 0

    removed = await client.delete(f"{_territories(one)}/{first['id']}")
    assert removed.status_code == 204
    assert await _conflicts(client) == []
    holder_now = (await client.get(f"{_territories(holder)}/{exclusive['id']}")).json()
    assert holder_now["conflict_count"] == 0


async def test_conflicts_are_filtered_and_paged_newest_first(client: httpx.AsyncClient) -> None:
    holder = await a_partner(client)
    await a_territory(client, holder, region=None, exclusive=True)
    await a_territory(client, holder, country="AT", region=None, exclusive=True)
    others = [await a_partner(client) for _ in range(3)]
    made = [
        await a_territory(client, others[0], region="Bavaria"),
        await a_territory(client, others[1], region="Saxony"),
        await a_territory(client, others[2], country="AT", region="Tyrol"),
    ]

    first = await client.get("/v1/territories/conflicts", params={"limit": 2})
    second = await client.get(
        "/v1/territories/conflicts", params={"limit": 2, "cursor": first.json()["next_cursor"]}
    )
    in_austria = await _conflicts(client, country="at")
    of_one = await _conflicts(client, partner_id=others[1]["id"])

    assert [c["territory_id"] for c in first.json()["items"] + second.json()["items"]] == [
        t["id"] for t in reversed(made)
    ]
    assert second.json()["next_cursor"] is None
    assert [c["territory_id"] for c in in_austria] == [made[2]["id"]]
    assert [c["territory_id"] for c in of_one] == [made[1]["id"]]
    assert len(await _conflicts(client, partner_id=holder["id"])) == 3


async def test_a_partner_sees_its_territories_and_how_many_conflicts_but_not_whose(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    holder, partner = await a_partner(client), await a_partner(client)
    await a_territory(client, holder, region=None, exclusive=True)
    territory = await a_territory(client, partner)
    me = signed_as(partner_user(partner, "partners:read"))

    listed = await client.get(_territories(partner), headers=me)
    assert listed.status_code == 200
    [mine] = listed.json()["items"]
    assert (mine["id"], mine["conflict_count"], mine["conflicting_territory_ids"]) == (
        territory["id"],
        1,
        None,
    )

    before = await stored_counts(db)
    assert (await client.get("/v1/territories/conflicts", headers=me)).status_code == 403
    assert (await client.get(_territories(holder), headers=me)).status_code == 403
    writer = signed_as(partner_user(partner))
    assert (
        await client.post(_territories(partner), json=territory_body(), headers=writer)
    ).status_code == 403
    assert await stored_counts(db) == before


async def test_a_scope_is_held_once_per_partner(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await a_partner(client)
    first = await a_territory(client, partner, region="Bavaria", segment=None)
    before = await stored_counts(db)

    again = await client.post(_territories(partner), json=territory_body(region=" BAVARIA ", segment=None))

    assert again.status_code == 409
    assert again.json()["type"] == "/problems/territory-exists"
    assert again.json()["existing_territory_id"] == first["id"]
    assert await stored_counts(db) == before
    # the same place in another segment is another scope
    assert (await client.post(_territories(partner), json=territory_body(segment="smb"))).status_code == 201


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"country": "XX"}, ["body", "country"]),
        ({"country": None}, ["body", "country"]),
        ({"segment": "galactic"}, ["body", "segment"]),
        ({"region": "  "}, ["body", "region"]),
        ({"exclusive": "sometimes"}, ["body", "exclusive"]),
        ({"partner_id": str(uuid.uuid4())}, ["body", "partner_id"]),
    ],
)
async def test_invalid_territories_are_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, fields: dict[str, Any], loc: list[str]
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    response = await client.post(_territories(partner), json=territory_body(**fields))

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc
    assert await stored_counts(db) == before


async def test_territory_updates_need_the_current_etag(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await a_partner(client)
    territory = await a_territory(client, partner)
    path = f"{_territories(partner)}/{territory['id']}"
    before = await stored_counts(db)

    missing = await client.patch(path, json={"exclusive": True})
    stale = await client.patch(path, json={"exclusive": True}, headers={"If-Match": 'W/"7"'})
    stale_delete = await client.delete(path, headers={"If-Match": '"7"'})
    nulled = await client.patch(path, json={"exclusive": None}, headers={"If-Match": 'W/"1"'})

    assert (missing.status_code, stale.status_code, stale_delete.status_code) == (428, 412, 412)
    assert nulled.status_code == 422
    assert await stored_counts(db) == before


async def test_a_terminated_partner_gets_no_territories_and_unknown_ones_are_404(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await moved_to(client, await a_partner(client), "terminated")
    before = await stored_counts(db)

    response = await client.post(_territories(partner), json=territory_body())

    assert response.status_code == 409
    assert await stored_counts(db) == before
    assert (await client.get(f"{_territories(partner)}/{uuid.uuid4()}")).status_code == 404
    assert (await client.get(f"/v1/partners/{uuid.uuid4()}/territories")).status_code == 404


async def test_analysts_read_territories_but_do_not_assign_them(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    await a_territory(client, partner)
    analyst = signed_as(ANALYST)

    assert (await client.get(_territories(partner), headers=analyst)).status_code == 200
    assert (await client.get("/v1/territories/conflicts", headers=analyst)).status_code == 200
    assert (
        await client.post(_territories(partner), json=territory_body(), headers=analyst)
    ).status_code == 403


async def test_a_retried_assignment_gets_the_first_answer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    key = {"Idempotency-Key": "assign-bavaria-once"}

    first = await client.post(_territories(partner), json=territory_body(), headers=key)
    counts = await stored_counts(db)
    retried = await client.post(_territories(partner), json=territory_body(), headers=key)

    assert first.status_code == retried.status_code == 201
    assert retried.content == first.content
    assert retried.headers["idempotent-replayed"] == "true"
    assert await stored_counts(db) == counts

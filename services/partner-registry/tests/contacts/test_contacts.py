"""A partner's contacts: adding, reading, changing, removing, and the one-primary rule."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from partner_registry.models import Contact
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    a_contact,
    a_partner,
    contact_body,
    history,
    moved_to,
    partner_user,
    signed_as,
    stored_counts,
)

pytestmark = pytest.mark.asyncio


def _contacts(partner: dict[str, Any]) -> str:
    return f"/v1/partners/{partner['id']}/contacts"


async def test_a_contact_is_added_read_changed_and_removed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)

    added = await client.post(
        _contacts(partner),
        json=contact_body(
            name=" Anna Berg ", email="Anna.Berg@ACME.Example", phone="+49 (30) 123-4567", role="primary"
        ),
    )
    assert added.status_code == 201, added.text
    contact = added.json()
    assert added.headers["location"] == f"{_contacts(partner)}/{contact['id']}"
    assert added.headers["etag"] == '"1"'
    assert contact["name"] == "Anna Berg"
    assert contact["email"] == "Anna.Berg@acme.example"
    assert contact["role"] == "primary"
    assert contact["partner_id"] == partner["id"]

    read = await client.get(f"{_contacts(partner)}/{contact['id']}")
    assert read.json() == contact
    assert read.headers["etag"] == '"1"'

    changed = await client.patch(
        f"{_contacts(partner)}/{contact['id']}",
        json={"role": "billing", "phone": None},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert (changed.json()["role"], changed.json()["phone"], changed.json()["version"]) == (
        "billing",
        None,
        2,
    )

    removed = await client.delete(f"{_contacts(partner)}/{contact['id']}", headers={"If-Match": '"2"'})
    assert removed.status_code == 204
    assert (await client.get(f"{_contacts(partner)}/{contact['id']}")).status_code == 404
    assert await db.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0
    assert [e["kind"] for e in await history(client, partner)][:3] == [
        "contact_removed",
        "contact_updated",
        "contact_added",
    ]


async def test_contacts_are_listed_in_the_order_they_were_added_in_pages(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    other = await a_partner(client)
    names = ["Anna", "Ben", "Carla"]
    for name in names:
        await a_contact(client, partner, name=name)
    await a_contact(client, other, name="Not mine")

    first = (await client.get(_contacts(partner), params={"limit": 2})).json()
    second = (
        await client.get(_contacts(partner), params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()

    assert [c["name"] for c in first["items"] + second["items"]] == names
    assert second["next_cursor"] is None


async def test_a_second_primary_contact_is_409_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    primary = await a_contact(client, partner, role="primary")
    before = await stored_counts(db)

    response = await client.post(_contacts(partner), json=contact_body(name="Ben Kraus", role="primary"))

    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "/problems/second-primary-contact"
    assert problem["primary_contact_id"] == primary["id"]
    assert await stored_counts(db) == before


async def test_promoting_a_contact_while_another_is_primary_is_409(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    await a_contact(client, partner, role="primary")
    sales = await a_contact(client, partner, name="Ben", role="sales")
    before = await stored_counts(db)

    response = await client.patch(
        f"{_contacts(partner)}/{sales['id']}", json={"role": "primary"}, headers={"If-Match": '"1"'}
    )

    assert response.status_code == 409
    assert await stored_counts(db) == before
    assert (await client.get(f"{_contacts(partner)}/{sales['id']}")).json() == sales


async def test_the_primary_role_can_be_handed_over(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    anna = await a_contact(client, partner, role="primary")
    ben = await a_contact(client, partner, name="Ben", role="sales")

    demoted = await client.patch(
        f"{_contacts(partner)}/{anna['id']}", json={"role": "technical"}, headers={"If-Match": '"1"'}
    )
    promoted = await client.patch(
        f"{_contacts(partner)}/{ben['id']}", json={"role": "primary"}, headers={"If-Match": '"1"'}
    )
    # the primary itself may change other fields and stay primary
    renamed = await client.patch(
        f"{_contacts(partner)}/{ben['id']}",
        json={"name": "Ben Kraus", "role": "primary"},
        headers={"If-Match": '"2"'},
    )

    assert (demoted.status_code, promoted.status_code, renamed.status_code) == (200, 200, 200)


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"email": "anna@"}, ["body", "email"]),
        ({"email": "anna@localhost"}, ["body", "email"]),
        ({"email": "anna berg@acme.example"}, ["body", "email"]),
        ({"phone": "call me"}, ["body", "phone"]),
        ({"phone": "+1 23"}, ["body", "phone"]),
        ({"role": "ceo"}, ["body", "role"]),
        ({"name": "  "}, ["body", "name"]),
    ],
)
async def test_invalid_contacts_are_422(
    client: httpx.AsyncClient, db: AsyncSession, fields: dict[str, Any], loc: list[str]
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    response = await client.post(_contacts(partner), json=contact_body(**fields))

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc
    assert await stored_counts(db) == before


async def test_missing_contact_fields_are_each_listed(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)

    response = await client.post(_contacts(partner), json={"phone": "+49 30 1234567"})

    assert response.status_code == 422
    assert sorted(e["loc"][-1] for e in response.json()["errors"]) == ["email", "name", "role"]


async def test_contact_updates_need_the_current_etag(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await a_partner(client)
    contact = await a_contact(client, partner)
    path = f"{_contacts(partner)}/{contact['id']}"
    before = await stored_counts(db)

    missing = await client.patch(path, json={"name": "Anna B."})
    stale = await client.patch(path, json={"name": "Anna B."}, headers={"If-Match": '"4"'})
    stale_delete = await client.delete(path, headers={"If-Match": '"4"'})

    assert (missing.status_code, stale.status_code, stale_delete.status_code) == (428, 412, 412)
    assert await stored_counts(db) == before


async def test_a_contact_is_only_found_under_its_own_partner(client: httpx.AsyncClient) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    contact = await a_contact(client, partner)

    assert (await client.get(f"{_contacts(other)}/{contact['id']}")).status_code == 404
    assert (await client.get(f"{_contacts(partner)}/{uuid.uuid4()}")).status_code == 404
    assert (await client.get(f"/v1/partners/{uuid.uuid4()}/contacts")).status_code == 404


async def test_a_terminated_partner_gets_no_new_contacts_but_may_lose_them(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    contact = await a_contact(client, partner)
    partner = await moved_to(client, partner, "terminated")
    before = await stored_counts(db)

    added = await client.post(_contacts(partner), json=contact_body(name="Late"))
    changed = await client.patch(
        f"{_contacts(partner)}/{contact['id']}", json={"name": "Late"}, headers={"If-Match": '"1"'}
    )
    assert (added.status_code, changed.status_code) == (409, 409)
    assert await stored_counts(db) == before

    removed = await client.delete(f"{_contacts(partner)}/{contact['id']}")
    assert removed.status_code == 204


async def test_a_retried_contact_addition_gets_the_first_answer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    key = {"Idempotency-Key": "add-anna-once"}

    first = await client.post(_contacts(partner), json=contact_body(role="primary"), headers=key)
    counts = await stored_counts(db)
    retried = await client.post(_contacts(partner), json=contact_body(role="primary"), headers=key)

    assert first.status_code == retried.status_code == 201
    assert retried.content == first.content
    assert await stored_counts(db) == counts


async def test_a_partner_manages_its_own_contacts_only(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    me = signed_as(partner_user(partner))

    mine = await client.post(_contacts(partner), json=contact_body(), headers=me)
    assert mine.status_code == 201
    before = await stored_counts(db)
    theirs = await client.post(_contacts(other), json=contact_body(), headers=me)
    assert theirs.status_code == 403
    assert await stored_counts(db) == before

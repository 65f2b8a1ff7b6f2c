"""The vendor's direct (house) accounts: kept by the channel team, unseen by partners."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from partner_registry.models import HouseAccount, HouseAccountNameToken
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    CHANNEL_MANAGER,
    DEAL_VIEWER,
    a_house_account,
    a_partner,
    deal_partner_user,
    house_account_body,
    signed_as,
    stored_counts,
)

pytestmark = pytest.mark.asyncio


async def _tokens(db: AsyncSession, account: dict[str, Any]) -> set[str]:
    rows = await db.scalars(
        sa.select(HouseAccountNameToken.token).where(
            HouseAccountNameToken.house_account_id == uuid.UUID(account["id"])
        )
    )
    return set(rows.all())


async def test_a_house_account_is_added_read_changed_and_removed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    added = await client.post(
        "/v1/house-accounts",
        json=house_account_body(
            customer_name=" Initech AG ",
            customer_domain="https://www.Initech.example/en",
            notes="Key account",
        ),
    )
    assert added.status_code == 201, added.text
    account = added.json()
    assert added.headers["location"] == f"/v1/house-accounts/{account['id']}"
    assert added.headers["etag"] == '"1"'
    assert {k: account[k] for k in ("customer_name", "customer_domain", "country", "notes", "version")} == {
        "customer_name": "Initech AG",
        "customer_domain": "initech.example",
        "country": "DE",
        "notes": "Key account",
        "version": 1,
    }
    # indexed under the normalised name "initech": the word and each spelling without one letter (the label
    # of its domain initech.example is "initech" too)
    assert await _tokens(db, account) == {
        "initech",
        "nitech",
        "iitech",
        "intech",
        "iniech",
        "initch",
        "initeh",
        "initec",
    }

    read = await client.get(f"/v1/house-accounts/{account['id']}")
    assert read.json() == account

    renamed = await client.patch(
        f"/v1/house-accounts/{account['id']}",
        json={"customer_name": "Initrode Corp", "notes": None},
        headers={"If-Match": '"1"'},
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["customer_name"], renamed.json()["notes"], renamed.json()["version"]) == (
        "Initrode Corp",
        None,
        2,
    )
    assert renamed.headers["etag"] == '"2"'
    assert "initrode" in await _tokens(db, account)
    # the old name's typo variants are gone; "initech" stays as the label of its domain initech.example
    assert "initeh" not in await _tokens(db, account)
    assert "initech" in await _tokens(db, account)

    removed = await client.delete(f"/v1/house-accounts/{account['id']}", headers={"If-Match": '"2"'})
    assert removed.status_code == 204
    assert (await client.get(f"/v1/house-accounts/{account['id']}")).status_code == 404
    assert await db.scalar(sa.select(sa.func.count()).select_from(HouseAccount)) == 0
    assert await _tokens(db, account) == set()


async def test_a_domain_belongs_to_one_house_account(client: httpx.AsyncClient, db: AsyncSession) -> None:
    first = await a_house_account(client, customer_domain="initech.example")
    other = await a_house_account(client, customer_name="Globex", customer_domain="globex.example")
    before = await stored_counts(db)

    again = await client.post(
        "/v1/house-accounts", json=house_account_body(customer_domain="http://WWW.initech.example:443/")
    )
    moved = await client.patch(
        f"/v1/house-accounts/{other['id']}",
        json={"customer_domain": "initech.example"},
        headers={"If-Match": '"1"'},
    )

    assert (again.status_code, moved.status_code) == (409, 409)
    assert again.json()["type"] == "/problems/house-account-exists"
    assert again.json()["existing_house_account_id"] == first["id"]
    assert await stored_counts(db) == before


async def test_house_accounts_are_listed_in_pages_and_filtered(client: httpx.AsyncClient) -> None:
    made = [
        await a_house_account(
            client, customer_name=name, customer_domain=f"{name.lower()}.example", country=country
        )
        for name, country in (("Initech", "DE"), ("Globex", "US"), ("Hooli", "DE"))
    ]

    first = (await client.get("/v1/house-accounts", params={"limit": 2})).json()
    second = (
        await client.get("/v1/house-accounts", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    german = (await client.get("/v1/house-accounts", params={"country": "de"})).json()
    by_domain = (
        await client.get("/v1/house-accounts", params={"customer_domain": "https://www.globex.example"})
    ).json()

    assert [a["id"] for a in first["items"] + second["items"]] == [a["id"] for a in made]
    assert second["next_cursor"] is None
    assert [a["customer_name"] for a in german["items"]] == ["Initech", "Hooli"]
    assert [a["customer_name"] for a in by_domain["items"]] == ["Globex"]


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"customer_domain": "not a domain"}, ["body", "customer_domain"]),
        ({"country": "XX"}, ["body", "country"]),
        ({"customer_name": ""}, ["body", "customer_name"]),
        ({"partner_id": str(uuid.uuid4())}, ["body", "partner_id"]),
    ],
)
async def test_invalid_house_accounts_are_422(
    client: httpx.AsyncClient, db: AsyncSession, fields: dict[str, Any], loc: list[str]
) -> None:
    before = await stored_counts(db)

    response = await client.post("/v1/house-accounts", json=house_account_body(**fields))

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc
    assert await stored_counts(db) == before


async def test_house_account_updates_need_the_current_etag(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    account = await a_house_account(client)
    path = f"/v1/house-accounts/{account['id']}"
    before = await stored_counts(db)

    missing = await client.patch(path, json={"notes": "x"})
    stale = await client.patch(path, json={"notes": "x"}, headers={"If-Match": '"3"'})
    stale_delete = await client.delete(path, headers={"If-Match": '"3"'})

    assert (missing.status_code, stale.status_code, stale_delete.status_code) == (428, 412, 412)
    assert await stored_counts(db) == before


async def test_house_accounts_are_the_vendors_own_business(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    account = await a_house_account(client)
    partner = await a_partner(
        client,
    )
    before = await stored_counts(db)

    for caller in (deal_partner_user(partner), CHANNEL_MANAGER):
        headers = signed_as(caller)
        assert (await client.get("/v1/house-accounts", headers=headers)).status_code == 403
        assert (await client.get(f"/v1/house-accounts/{account['id']}", headers=headers)).status_code == 403
        assert (
            await client.post("/v1/house-accounts", json=house_account_body(), headers=headers)
        ).status_code == 403
    viewer = signed_as(DEAL_VIEWER)
    assert (await client.get("/v1/house-accounts", headers=viewer)).status_code == 200
    assert (await client.delete(f"/v1/house-accounts/{account['id']}", headers=viewer)).status_code == 403
    assert await stored_counts(db) == before

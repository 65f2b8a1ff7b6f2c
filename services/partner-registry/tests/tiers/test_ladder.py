"""The tier ladder: the default ladder, adding, reading, changing and deleting tiers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from partner_registry.models import Tier
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    TIER_ADMIN,
    a_partner,
    a_tier,
    signed_as,
    stored_counts,
    tier_body,
)

pytestmark = pytest.mark.asyncio


def as_admin(**headers: str) -> dict[str, str]:
    """Headers of a request by the programme owner (signed now: the credential lives five minutes)."""
    return {**signed_as(TIER_ADMIN), **headers}


async def _ladder(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/tiers", params=params, headers=as_admin())
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_a_fresh_registry_has_the_default_ladder(client: httpx.AsyncClient) -> None:
    page = await _ladder(client)

    assert [(t["key"], t["name"], t["rank"]) for t in page["items"]] == [
        ("registered", "Registered", 1),
        ("silver", "Silver", 2),
        ("gold", "Gold", 3),
        ("platinum", "Platinum", 4),
    ]
    assert page["next_cursor"] is None
    registered, silver, gold, platinum = page["items"]
    assert registered["requirements"] == {
        "min_trailing_12m_revenue": None,
        "min_certified_staff": None,
        "criteria": [],
    }
    assert registered["benefits"]["discount_percent"] is None
    assert gold["requirements"]["min_trailing_12m_revenue"] == {"amount": "1000000.00", "currency": "EUR"}
    assert gold["requirements"]["min_certified_staff"] == 5
    assert [c["name"] for c in gold["requirements"]["criteria"]] == ["Joint business plan"]
    assert (silver["benefits"]["discount_percent"], silver["benefits"]["rebate_percent"]) == ("5.00", "1.00")
    assert (platinum["benefits"]["discount_percent"], platinum["benefits"]["rebate_percent"]) == (
        "15.00",
        "3.00",
    )


async def test_a_tier_is_added_read_changed_and_deleted(client: httpx.AsyncClient, db: AsyncSession) -> None:
    added = await client.post("/v1/tiers", json=tier_body(), headers=as_admin())

    assert added.status_code == 201, added.text
    tier = added.json()
    assert added.headers["location"] == f"/v1/tiers/{tier['id']}"
    assert added.headers["etag"] == '"1"'
    assert (tier["key"], tier["name"], tier["rank"], tier["version"]) == ("diamond", "Diamond", 10, 1)
    assert tier["requirements"] == {
        "min_trailing_12m_revenue": {"amount": "10000000.00", "currency": "EUR"},
        "min_certified_staff": 20,
        "criteria": [{"name": "Executive sponsor", "description": "A named executive on each side."}],
    }
    assert tier["benefits"] == {
        "description": "Everything in Platinum.",
        "discount_percent": "20.00",
        "rebate_percent": "4.50",
    }

    read = await client.get(f"/v1/tiers/{tier['id']}", headers=as_admin())
    assert read.json() == tier
    assert read.headers["etag"] == '"1"'

    changed = await client.patch(
        f"/v1/tiers/{tier['id']}",
        json={"name": "Diamond Elite", "rank": 11, "benefits": {"rebate_percent": "5.125"}},
        headers=as_admin(**{"If-Match": '"1"'}),
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert (changed.json()["name"], changed.json()["rank"], changed.json()["version"]) == (
        "Diamond Elite",
        11,
        2,
    )
    # benefits are replaced as a whole; requirements, not sent, stay
    assert changed.json()["benefits"] == {
        "description": None,
        "discount_percent": None,
        "rebate_percent": "5.125",
    }
    assert changed.json()["requirements"] == tier["requirements"]

    deleted = await client.delete(f"/v1/tiers/{tier['id']}", headers=as_admin(**{"If-Match": '"2"'}))
    assert deleted.status_code == 204
    assert (await client.get(f"/v1/tiers/{tier['id']}", headers=as_admin())).status_code == 404
    assert await db.scalar(sa.select(sa.func.count()).select_from(Tier)) == 4


async def test_a_patch_that_changes_nothing_is_no_change(client: httpx.AsyncClient) -> None:
    tier = await a_tier(client)

    response = await client.patch(
        f"/v1/tiers/{tier['id']}",
        # the same values, spelt differently
        json={
            "name": " Diamond ",
            "requirements": {
                "min_trailing_12m_revenue": {"amount": "10000000.0000", "currency": "EUR"},
                "min_certified_staff": 20,
                "criteria": [{"name": "Executive sponsor", "description": "A named executive on each side."}],
            },
        },
        headers=as_admin(**{"If-Match": '"1"'}),
    )

    assert response.status_code == 200
    assert response.json() == tier
    assert response.headers["etag"] == '"1"'


async def test_the_ladder_pages_by_rank_and_filters_by_key(client: httpx.AsyncClient) -> None:
    await a_tier(client, key="diamond", rank=10)
    await a_tier(client, key="copper", name="Copper", rank=7)

    keys, cursor = [], None
    while True:
        page = await _ladder(client, limit=4, **({"cursor": cursor} if cursor else {}))
        keys += [t["key"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert keys == ["registered", "silver", "gold", "platinum", "copper", "diamond"]
    assert [t["key"] for t in (await _ladder(client, key=["gold", "copper"]))["items"]] == ["gold", "copper"]
    for bad in ["garbage", "e30"]:
        assert (await client.get("/v1/tiers", params={"cursor": bad}, headers=as_admin())).status_code == 422


@pytest.mark.parametrize(
    ("change", "slug"),
    [({"key": "gold", "rank": 10}, "tier-key-taken"), ({"key": "diamond", "rank": 3}, "tier-rank-taken")],
)
async def test_a_taken_key_or_rank_is_409_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any], slug: str
) -> None:
    before = await stored_counts(db)

    response = await client.post("/v1/tiers", json=tier_body(**change), headers=as_admin())

    assert response.status_code == 409
    assert response.json()["type"] == f"/problems/{slug}"
    assert await stored_counts(db) == before


async def test_moving_a_tier_onto_a_taken_rank_is_409(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tier = await a_tier(client)
    before = await stored_counts(db)

    response = await client.patch(
        f"/v1/tiers/{tier['id']}", json={"rank": 4}, headers=as_admin(**{"If-Match": '"1"'})
    )

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/tier-rank-taken"
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/tiers/{tier['id']}", headers=as_admin())).json() == tier


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"key": "Gold Plus"}, ["body", "key"]),
        ({"rank": 0}, ["body", "rank"]),
        ({"name": ""}, ["body", "name"]),
        (
            {"requirements": {"min_trailing_12m_revenue": {"amount": "1000", "currency": "EUX"}}},
            ["body", "requirements", "min_trailing_12m_revenue", "currency"],
        ),
        (
            {"requirements": {"min_trailing_12m_revenue": {"amount": 1000, "currency": "EUR"}}},
            ["body", "requirements", "min_trailing_12m_revenue", "amount"],
        ),
        (
            {"requirements": {"min_trailing_12m_revenue": {"amount": "-1", "currency": "EUR"}}},
            ["body", "requirements", "min_trailing_12m_revenue"],
        ),
        ({"requirements": {"min_certified_staff": -1}}, ["body", "requirements", "min_certified_staff"]),
        (
            {
                "requirements": {
                    "criteria": [{"name": "Plan", "description": "x"}, {"name": " plan", "description": "y"}]
                }
            },
            ["body", "requirements", "criteria"],
        ),
        (
            {"requirements": {"criteria": [{"name": "Plan"}]}},
            ["body", "requirements", "criteria", 0, "description"],
        ),
        ({"benefits": {"discount_percent": "100.01"}}, ["body", "benefits", "discount_percent"]),
        ({"benefits": {"discount_percent": 7.5}}, ["body", "benefits", "discount_percent"]),
        ({"benefits": {"rebate_percent": "-1"}}, ["body", "benefits", "rebate_percent"]),
        ({"benefits": {"rebate_percent": "1e2"}}, ["body", "benefits", "rebate_percent"]),
        ({"colour": "blue"}, ["body", "colour"]),
    ],
)
async def test_an_invalid_tier_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any], loc: list[Any]
) -> None:
    before = await stored_counts(db)

    response = await client.post("/v1/tiers", json=tier_body(**change), headers=as_admin())

    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert await stored_counts(db) == before


@pytest.mark.parametrize("body", [{"key": "emerald"}, {"name": None}, {"requirements": None}, {"rank": 0}])
async def test_an_invalid_patch_is_422_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, body: dict[str, Any]
) -> None:
    tier = await a_tier(client)
    before = await stored_counts(db)

    response = await client.patch(
        f"/v1/tiers/{tier['id']}", json=body, headers=as_admin(**{"If-Match": '"1"'})
    )

    assert response.status_code == 422
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/tiers/{tier['id']}", headers=as_admin())).json() == tier


async def test_a_tier_update_needs_the_current_etag(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tier = await a_tier(client)
    path = f"/v1/tiers/{tier['id']}"
    await client.patch(path, json={"name": "Diamond II"}, headers=as_admin(**{"If-Match": '"1"'}))
    before = await stored_counts(db)

    stale = await client.patch(path, json={"name": "Diamond III"}, headers=as_admin(**{"If-Match": '"1"'}))
    missing = await client.patch(path, json={"name": "Diamond III"}, headers=as_admin())
    stale_delete = await client.delete(path, headers=as_admin(**{"If-Match": '"1"'}))

    assert stale.status_code == 412
    assert stale.headers["etag"] == '"2"'
    assert missing.status_code == 428
    assert stale_delete.status_code == 412
    assert await stored_counts(db) == before
    assert (await client.get(path, headers=as_admin())).json()["name"] == "Diamond II"


async def test_deleting_a_tier_partners_hold_is_409(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tier = await a_tier(client)
    partner = await a_partner(client)
    moved = await client.post(
        f"/v1/partners/{partner['id']}/tier-changes", json={"tier": "diamond", "reason": "Top of the class"}
    )
    assert moved.status_code == 201, moved.text
    before = await stored_counts(db)

    response = await client.delete(f"/v1/tiers/{tier['id']}", headers=as_admin())

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/tier-in-use"
    assert response.json()["partner_count"] == 1
    assert await stored_counts(db) == before

    # once nobody holds it, it goes; the tier history keeps the key
    await client.post(
        f"/v1/partners/{partner['id']}/tier-changes", json={"tier": "gold", "reason": "Ladder reshaped"}
    )
    assert (await client.delete(f"/v1/tiers/{tier['id']}", headers=as_admin())).status_code == 204
    history = (await client.get(f"/v1/partners/{partner['id']}/tier-history")).json()["items"]
    assert [(h["from_tier"], h["to_tier"]) for h in history] == [("diamond", "gold"), (None, "diamond")]


async def test_a_retried_tier_creation_gets_the_first_answer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    headers = as_admin(**{"Idempotency-Key": str(uuid.uuid4())})

    first = await client.post("/v1/tiers", json=tier_body(), headers=headers)
    counts = await stored_counts(db)
    retried = await client.post("/v1/tiers", json=tier_body(), headers=headers)
    other_body = await client.post("/v1/tiers", json=tier_body(name="Other"), headers=headers)

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true"
    assert other_body.status_code == 422
    assert other_body.json()["type"] == "/problems/idempotency-key-reused"
    assert await stored_counts(db) == counts


async def test_an_unknown_tier_is_404(client: httpx.AsyncClient) -> None:
    path = f"/v1/tiers/{uuid.uuid4()}"

    assert (await client.get(path, headers=as_admin())).status_code == 404
    assert (
        await client.patch(path, json={"name": "X"}, headers=as_admin(**{"If-Match": '"1"'}))
    ).status_code == 404
    assert (await client.delete(path, headers=as_admin())).status_code == 404

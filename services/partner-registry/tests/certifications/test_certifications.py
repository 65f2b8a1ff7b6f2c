"""Certifications of partners and their people, and the ones about to expire across partners."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from partner_registry.models import Certification
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    ANALYST,
    a_certification,
    a_contact,
    a_partner,
    certification_body,
    days_from_today,
    moved_to,
    partner_user,
    signed_as,
    stored_counts,
)

pytestmark = pytest.mark.asyncio


def _certifications(partner: dict[str, Any]) -> str:
    return f"/v1/partners/{partner['id']}/certifications"


async def _expiring(client: httpx.AsyncClient, **params: Any) -> httpx.Response:
    return await client.get("/v1/certifications/expiring", params=params)


async def test_a_certification_is_added_read_changed_and_removed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    contact = await a_contact(client, partner)

    added = await client.post(
        _certifications(partner),
        json=certification_body(
            programme=" Cloud Architect ",
            contact_id=contact["id"],
            issued_on=days_from_today(-30),
            expires_on=days_from_today(700),
        ),
    )

    assert added.status_code == 201, added.text
    certification = added.json()
    assert added.headers["location"] == f"{_certifications(partner)}/{certification['id']}"
    assert added.headers["etag"] == '"1"'
    assert (certification["programme"], certification["level"]) == ("Cloud Architect", "Professional")
    assert (certification["partner_id"], certification["contact_id"]) == (partner["id"], contact["id"])
    assert (certification["issued_on"], certification["expires_on"]) == (
        days_from_today(-30),
        days_from_today(700),
    )

    read = await client.get(f"{_certifications(partner)}/{certification['id']}")
    assert read.json() == certification
    assert read.headers["etag"] == '"1"'

    changed = await client.patch(
        f"{_certifications(partner)}/{certification['id']}",
        json={"level": "Expert", "contact_id": None, "expires_on": None},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert (changed.json()["level"], changed.json()["contact_id"], changed.json()["expires_on"]) == (
        "Expert",
        None,
        None,
    )

    removed = await client.delete(
        f"{_certifications(partner)}/{certification['id']}", headers={"If-Match": '"2"'}
    )
    assert removed.status_code == 204
    assert (await client.get(f"{_certifications(partner)}/{certification['id']}")).status_code == 404
    assert await db.scalar(sa.select(sa.func.count()).select_from(Certification)) == 0


async def test_a_patch_that_changes_nothing_is_no_change(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    certification = await a_certification(client, partner)

    response = await client.patch(
        f"{_certifications(partner)}/{certification['id']}",
        json={"programme": certification["programme"], "issued_on": certification["issued_on"]},
        headers={"If-Match": '"1"'},
    )

    assert response.status_code == 200
    assert response.json() == certification


async def test_certifications_are_listed_latest_issued_first_in_pages(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    contact = await a_contact(client, partner)
    for days in (-300, -10, -100):
        await a_certification(client, partner, issued_on=days_from_today(days), expires_on=None)
    await a_certification(
        client, partner, issued_on=days_from_today(-50), expires_on=None, contact_id=contact["id"]
    )
    await a_certification(client, await a_partner(client))  # another partner's

    issued, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(_certifications(partner), params=params)).json()
        issued += [c["issued_on"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert issued == [days_from_today(d) for d in (-10, -50, -100, -300)]
    of_contact = (await client.get(_certifications(partner), params={"contact_id": contact["id"]})).json()
    assert [c["issued_on"] for c in of_contact["items"]] == [days_from_today(-50)]
    assert (await client.get(_certifications(partner), params={"cursor": "garbage"})).status_code == 422


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"issued_on": days_from_today(-10), "expires_on": days_from_today(-10)}, ["body", "expires_on"]),
        ({"issued_on": days_from_today(-10), "expires_on": days_from_today(-11)}, ["body", "expires_on"]),
        ({"issued_on": days_from_today(1)}, ["body", "issued_on"]),
        ({"issued_on": "2026-13-01"}, ["body", "issued_on"]),
        ({"issued_on": "2026-01-01T00:00:00Z"}, ["body", "issued_on"]),
        ({"expires_on": 20300101}, ["body", "expires_on"]),
        ({"programme": ""}, ["body", "programme"]),
        ({"programme": "x" * 201}, ["body", "programme"]),
        ({"contact_id": str(uuid.uuid4())}, ["body", "contact_id"]),  # nobody at this partner
        ({"contact_id": "anna"}, ["body", "contact_id"]),
        ({"holder": "Anna"}, ["body", "holder"]),
    ],
)
async def test_an_invalid_certification_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any], loc: list[str]
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    response = await client.post(_certifications(partner), json=certification_body(**change))

    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert await stored_counts(db) == before


async def test_a_contact_of_another_partner_is_422(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    stranger = await a_contact(client, other)
    before = await stored_counts(db)

    response = await client.post(_certifications(partner), json=certification_body(contact_id=stranger["id"]))

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "contact_id"]
    assert await stored_counts(db) == before


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"expires_on": days_from_today(-100)}, ["body", "expires_on"]),  # on the stored issue day
        ({"issued_on": days_from_today(0), "expires_on": days_from_today(-1)}, ["body", "expires_on"]),
        ({"contact_id": str(uuid.uuid4())}, ["body", "contact_id"]),
        ({"programme": None}, ["body", "programme"]),
        ({"issued_on": None}, ["body", "issued_on"]),
    ],
)
async def test_an_invalid_change_is_422_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any], loc: list[str]
) -> None:
    partner = await a_partner(client)
    certification = await a_certification(client, partner, issued_on=days_from_today(-100))
    path = f"{_certifications(partner)}/{certification['id']}"
    before = await stored_counts(db)

    response = await client.patch(path, json=change, headers={"If-Match": '"1"'})

    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert await stored_counts(db) == before
    assert (await client.get(path)).json() == certification


async def test_moving_the_issue_day_past_the_stored_expiry_is_422(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    certification = await a_certification(
        client, partner, issued_on=days_from_today(-100), expires_on=days_from_today(-50)
    )

    response = await client.patch(
        f"{_certifications(partner)}/{certification['id']}",
        json={"issued_on": days_from_today(-50)},
        headers={"If-Match": '"1"'},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "issued_on"]


async def test_a_certification_update_needs_the_current_etag(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    certification = await a_certification(client, partner)
    path = f"{_certifications(partner)}/{certification['id']}"
    await client.patch(path, json={"level": "Expert"}, headers={"If-Match": '"1"'})
    before = await stored_counts(db)

    stale = await client.patch(path, json={"level": "Master"}, headers={"If-Match": '"1"'})
    missing = await client.patch(path, json={"level": "Master"})
    stale_delete = await client.delete(path, headers={"If-Match": '"1"'})

    assert (stale.status_code, missing.status_code, stale_delete.status_code) == (412, 428, 412)
    assert await stored_counts(db) == before
    assert (await client.get(path)).json()["level"] == "Expert"


async def test_removing_a_contact_removes_their_certifications(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    contact = await a_contact(client, partner)
    personal = await a_certification(client, partner, contact_id=contact["id"])
    company = await a_certification(client, partner)

    assert (await client.delete(f"/v1/partners/{partner['id']}/contacts/{contact['id']}")).status_code == 204

    listed = (await client.get(_certifications(partner))).json()["items"]
    assert [c["id"] for c in listed] == [company["id"]]
    assert (await client.get(f"{_certifications(partner)}/{personal['id']}")).status_code == 404


async def test_a_terminated_partner_gets_no_new_certification(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    certification = await a_certification(client, partner)
    partner = await moved_to(client, partner, "terminated")
    before = await stored_counts(db)

    response = await client.post(_certifications(partner), json=certification_body())

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/partner-terminated"
    assert await stored_counts(db) == before
    # existing records can still be corrected or removed
    assert (await client.delete(f"{_certifications(partner)}/{certification['id']}")).status_code == 204


async def test_a_retried_certification_gets_the_first_answer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = await client.post(_certifications(partner), json=certification_body(), headers=key)
    counts = await stored_counts(db)
    retried = await client.post(_certifications(partner), json=certification_body(), headers=key)

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true"
    assert await stored_counts(db) == counts


async def test_a_partner_reads_its_own_certifications_but_does_not_change_them(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    certification = await a_certification(client, partner)
    own = signed_as(partner_user(partner))
    path = f"{_certifications(partner)}/{certification['id']}"
    before = await stored_counts(db)

    assert (await client.get(_certifications(partner), headers=own)).status_code == 200
    assert (await client.get(path, headers=own)).status_code == 200
    assert (await client.get(_certifications(other), headers=own)).status_code == 403
    assert (
        await client.post(_certifications(partner), json=certification_body(), headers=own)
    ).status_code == 403
    assert (
        await client.patch(path, json={"level": "X"}, headers={**own, "If-Match": '"1"'})
    ).status_code == 403
    assert (await client.delete(path, headers=own)).status_code == 403
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/partners/{uuid.uuid4()}/certifications")).status_code == 404


# --- expiring ----------------------------------------------------------------------------------------------


async def test_certifications_expiring_within_n_days_soonest_first(client: httpx.AsyncClient) -> None:
    alpha, beta = await a_partner(client), await a_partner(client)
    expiring = {
        "alpha today": await a_certification(client, alpha, expires_on=days_from_today(0)),
        "beta in 10": await a_certification(client, beta, expires_on=days_from_today(10)),
        "alpha in 30": await a_certification(client, alpha, expires_on=days_from_today(30)),
    }
    await a_certification(client, alpha, expires_on=days_from_today(31))  # just outside
    await a_certification(client, beta, expires_on=days_from_today(-1))  # expired already
    await a_certification(client, beta, expires_on=None)  # never expires

    response = await _expiring(client, within_days=30)

    assert response.status_code == 200, response.text
    assert [c["id"] for c in response.json()["items"]] == [c["id"] for c in expiring.values()]
    assert [c["partner_id"] for c in response.json()["items"]] == [alpha["id"], beta["id"], alpha["id"]]
    today_only = (await _expiring(client, within_days=0)).json()["items"]
    assert [c["id"] for c in today_only] == [expiring["alpha today"]["id"]]


async def test_expiring_certifications_come_in_pages(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    days = [5, 1, 5, 3, 2]
    for day in days:
        await a_certification(client, partner, expires_on=days_from_today(day))

    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"within_days": 7, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await _expiring(client, **params)).json()
        seen += [c["expires_on"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [days_from_today(d) for d in sorted(days)]


async def test_a_partner_sees_only_its_own_expiring_certifications(client: httpx.AsyncClient) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    mine = await a_certification(client, partner, expires_on=days_from_today(3))
    theirs = await a_certification(client, other, expires_on=days_from_today(3))

    as_manager = await _expiring(client, within_days=10)
    own = await client.get(
        "/v1/certifications/expiring", params={"within_days": 10}, headers=signed_as(partner_user(partner))
    )
    analyst = await client.get(
        "/v1/certifications/expiring", params={"within_days": 10}, headers=signed_as(ANALYST)
    )

    assert {c["id"] for c in as_manager.json()["items"]} == {mine["id"], theirs["id"]}
    assert [c["id"] for c in own.json()["items"]] == [mine["id"]]
    assert {c["id"] for c in analyst.json()["items"]} == {mine["id"], theirs["id"]}


@pytest.mark.parametrize("params", [{}, {"within_days": -1}, {"within_days": 3661}, {"within_days": "soon"}])
async def test_expiring_needs_a_sensible_window(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await _expiring(client, **params)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "within_days"]

"""A partner's compliance audits: recording, reading, correcting; who may."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    a_partner,
    an_audit,
    audit_body,
    days_from_today,
    moved_to,
    partner_user,
    signed_as,
    stored_counts,
)

pytestmark = pytest.mark.asyncio


def _audits(partner: dict[str, Any]) -> str:
    return f"/v1/partners/{partner['id']}/compliance/audits"


async def test_an_audit_is_recorded_read_and_corrected(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)

    recorded = await client.post(
        _audits(partner), json=audit_body(outcome="passed_with_findings", notes="Two late MDF claims")
    )

    assert recorded.status_code == 201, recorded.text
    audit = recorded.json()
    assert recorded.headers["location"] == f"{_audits(partner)}/{audit['id']}"
    assert recorded.headers["etag"] == '"1"'
    assert (audit["audited_on"], audit["outcome"], audit["notes"]) == (
        days_from_today(-10),
        "passed_with_findings",
        "Two late MDF claims",
    )
    assert audit["partner_id"] == partner["id"]
    read = await client.get(f"{_audits(partner)}/{audit['id']}")
    assert read.json() == audit
    assert read.headers["etag"] == '"1"'

    corrected = await client.patch(
        f"{_audits(partner)}/{audit['id']}",
        json={"outcome": "failed", "notes": None, "audited_on": days_from_today(-11)},
        headers={"If-Match": '"1"'},
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.headers["etag"] == '"2"'
    assert (corrected.json()["outcome"], corrected.json()["notes"], corrected.json()["audited_on"]) == (
        "failed",
        None,
        days_from_today(-11),
    )

    unchanged = await client.patch(
        f"{_audits(partner)}/{audit['id']}", json={"outcome": "failed"}, headers={"If-Match": '"2"'}
    )
    assert unchanged.json() == corrected.json()


async def test_audits_are_listed_latest_first_in_pages(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    for days in (-400, -30, -200):
        await an_audit(client, partner, audited_on=days_from_today(days))
    await an_audit(client, await a_partner(client))

    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(_audits(partner), params=params)).json()
        seen += [a["audited_on"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [days_from_today(d) for d in (-30, -200, -400)]
    assert (await client.get(_audits(partner), params={"cursor": "garbage"})).status_code == 422


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"audited_on": days_from_today(1)}, ["body", "audited_on"]),
        ({"audited_on": "yesterday"}, ["body", "audited_on"]),
        ({"outcome": "meh"}, ["body", "outcome"]),
        ({"auditor": "  "}, ["body", "auditor"]),
        ({"scope": ""}, ["body", "scope"]),
        ({"score": 3}, ["body", "score"]),
    ],
)
async def test_an_invalid_audit_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any], loc: list[str]
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    response = await client.post(_audits(partner), json=audit_body(**change))

    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert await stored_counts(db) == before


@pytest.mark.parametrize("change", [{"outcome": None}, {"audited_on": days_from_today(2)}, {"auditor": None}])
async def test_an_invalid_correction_is_422_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any]
) -> None:
    partner = await a_partner(client)
    audit = await an_audit(client, partner)
    before = await stored_counts(db)

    response = await client.patch(
        f"{_audits(partner)}/{audit['id']}", json=change, headers={"If-Match": '"1"'}
    )

    assert response.status_code == 422
    assert await stored_counts(db) == before
    assert (await client.get(f"{_audits(partner)}/{audit['id']}")).json() == audit


async def test_an_audit_correction_needs_the_current_etag(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    audit = await an_audit(client, partner)
    path = f"{_audits(partner)}/{audit['id']}"
    await client.patch(path, json={"outcome": "failed"}, headers={"If-Match": '"1"'})
    before = await stored_counts(db)

    stale = await client.patch(path, json={"outcome": "passed"}, headers={"If-Match": '"1"'})
    missing = await client.patch(path, json={"outcome": "passed"})

    assert (stale.status_code, missing.status_code) == (412, 428)
    assert await stored_counts(db) == before
    assert (await client.get(path)).json()["outcome"] == "failed"


async def test_audits_are_corrected_not_removed(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    audit = await an_audit(client, partner)

    response = await client.delete(f"{_audits(partner)}/{audit['id']}")

    assert response.status_code == 405


async def test_a_terminated_partner_gets_no_new_audit(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await moved_to(client, await a_partner(client), "terminated")
    before = await stored_counts(db)

    response = await client.post(_audits(partner), json=audit_body())

    assert response.status_code == 409
    assert await stored_counts(db) == before


async def test_a_retried_audit_gets_the_first_answer(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await a_partner(client)
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = await client.post(_audits(partner), json=audit_body(), headers=key)
    counts = await stored_counts(db)
    retried = await client.post(_audits(partner), json=audit_body(), headers=key)

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert await stored_counts(db) == counts


async def test_a_partner_reads_its_own_audits_only(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    audit = await an_audit(client, partner)
    own = signed_as(partner_user(partner))
    before = await stored_counts(db)

    assert (await client.get(_audits(partner), headers=own)).status_code == 200
    assert (await client.get(f"{_audits(partner)}/{audit['id']}", headers=own)).status_code == 200
    assert (await client.get(_audits(other), headers=own)).status_code == 403
    assert (await client.post(_audits(partner), json=audit_body(), headers=own)).status_code == 403
    patched = await client.patch(
        f"{_audits(partner)}/{audit['id']}", json={"outcome": "passed"}, headers={**own, "If-Match": '"1"'}
    )
    assert patched.status_code == 403
    assert await stored_counts(db) == before
    assert (await client.get(f"{_audits(partner)}/{uuid.uuid4()}")).status_code == 404

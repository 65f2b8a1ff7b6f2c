"""Updating partners: If-Match, what is recorded and announced, and what each caller may change."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    ANALYST,
    a_partner,
    history,
    moved_to,
    outbox_payloads,
    partner_user,
    signed_as,
    stored_counts,
    stored_partner,
)

pytestmark = pytest.mark.asyncio


async def _patch(
    client: httpx.AsyncClient, partner: dict[str, Any], body: dict[str, Any], **headers: str
) -> httpx.Response:
    return await client.patch(f"/v1/partners/{partner['id']}", json=body, headers=headers)


async def test_an_update_with_the_current_etag_changes_the_partner_and_is_recorded(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client, display_name="Acme", employee_count=40, region="DACH")

    response = await _patch(
        client,
        partner,
        {
            "display_name": "Acme Networks",
            "employee_count": 55,
            "region": None,
            "annual_revenue": {"amount": "2000000", "currency": "CHF"},
        },
        **{"If-Match": '"1"'},
    )

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    updated = response.json()
    assert updated["version"] == 2
    assert updated["display_name"] == "Acme Networks"
    assert updated["employee_count"] == 55
    assert updated["region"] is None
    assert updated["annual_revenue"] == {"amount": "2000000.00", "currency": "CHF"}
    assert updated["updated_at"] > partner["updated_at"]
    assert (await client.get(f"/v1/partners/{partner['id']}")).json() == updated

    latest = (await history(client, partner))[0]
    assert latest["kind"] == "updated"
    assert latest["actor"] == "user:cm-anna"
    assert latest["partner_version"] == 2
    assert latest["changes"] == [
        {"field": "display_name", "before": "Acme", "after": "Acme Networks"},
        {"field": "region", "before": "DACH", "after": None},
        {"field": "employee_count", "before": 40, "after": 55},
        {"field": "annual_revenue", "before": None, "after": {"amount": "2000000.00", "currency": "CHF"}},
    ]
    [event] = await outbox_payloads(db, "partner.updated")
    assert event["data"]["partner"] == updated
    assert event["data"]["changes"] == latest["changes"]


async def test_each_specialisation_list_sent_replaces_that_list_only(client: httpx.AsyncClient) -> None:
    partner = await a_partner(
        client, specialisations={"product_lines": ["Networking", "Storage"], "industries": ["Retail"]}
    )

    response = await _patch(
        client,
        partner,
        {"specialisations": {"product_lines": ["storage", "Security"]}},
        **{"If-Match": '"1"'},
    )

    assert response.status_code == 200, response.text
    assert response.json()["specialisations"] == {
        "product_lines": ["storage", "Security"],
        "industries": ["Retail"],
    }
    listed = await client.get("/v1/partners", params={"specialisation": "networking"})
    assert listed.json()["items"] == []
    listed = await client.get("/v1/partners", params={"specialisation": "security"})
    assert [p["id"] for p in listed.json()["items"]] == [partner["id"]]


async def test_an_update_without_if_match_is_428_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    response = await _patch(client, partner, {"display_name": "Sneaky"})

    assert response.status_code == 428
    assert response.json()["type"] == "/problems/precondition-required"
    assert response.headers["etag"] == '"1"'
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/partners/{partner['id']}")).json() == partner


async def test_an_update_against_a_stale_version_is_412_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    assert (await _patch(client, partner, {"employee_count": 10}, **{"If-Match": '"1"'})).status_code == 200
    current = (await client.get(f"/v1/partners/{partner['id']}")).json()
    before = await stored_counts(db)

    # a second user still holds version 1
    response = await _patch(client, partner, {"employee_count": 99}, **{"If-Match": '"1"'})

    assert response.status_code == 412
    problem = response.json()
    assert problem["type"] == "/problems/precondition-failed"
    assert problem["current_etag"] == '"2"'
    assert response.headers["etag"] == '"2"'
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/partners/{partner['id']}")).json() == current


@pytest.mark.parametrize(("if_match", "status"), [("*", 200), ('"7", "1"', 200), ('W/"1"', 412), ("1", 422)])
async def test_if_match_forms(client: httpx.AsyncClient, if_match: str, status: int) -> None:
    partner = await a_partner(client)

    response = await _patch(client, partner, {"employee_count": 12}, **{"If-Match": if_match})

    assert response.status_code == status


async def test_an_update_that_changes_nothing_keeps_the_version(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(
        client, display_name="Same", annual_revenue={"amount": "100.00", "currency": "EUR"}
    )
    before = await stored_counts(db)

    response = await _patch(
        client,
        partner,
        {
            "display_name": " Same ",
            "region": partner["region"],
            "annual_revenue": {"amount": "100", "currency": "EUR"},
            "specialisations": {"industries": []},
        },
        **{"If-Match": '"1"'},
    )

    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json() == partner
    assert await stored_counts(db) == before


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"legal_name": None}, ["body", "legal_name"]),
        ({"country": "ZZ"}, ["body", "country"]),
        ({"status": "active"}, ["body", "status"]),
        ({"version": 5}, ["body", "version"]),
        ({"annual_revenue": {"amount": 12.5, "currency": "EUR"}}, ["body", "annual_revenue", "amount"]),
        ({"custom_attributes": {"blob": "x" * 17000}}, ["body", "custom_attributes"]),
    ],
)
async def test_invalid_updates_are_422_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession, body: dict[str, Any], loc: list[str]
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    response = await _patch(client, partner, body, **{"If-Match": '"1"'})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/partners/{partner['id']}")).json() == partner


async def test_an_update_cannot_take_a_registration_number_already_registered(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    holder = await a_partner(client, country="NL", registration_number="12345678")
    partner = await a_partner(client, country="BE", registration_number="12345678")
    before = await stored_counts(db)

    moved = await _patch(client, partner, {"country": "NL"}, **{"If-Match": '"1"'})

    assert moved.status_code == 409
    assert moved.json()["existing_partner_id"] == holder["id"]
    assert await stored_counts(db) == before
    stored = await stored_partner(db, partner["id"])
    assert stored is not None
    assert (stored.country, stored.version) == ("BE", 1)


async def test_a_registration_number_without_a_letter_or_digit_is_422(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client, registration_number="HRB 1")
    before = await stored_counts(db)

    response = await _patch(client, partner, {"registration_number": "./-"}, **{"If-Match": '"1"'})

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "registration_number"]
    assert response.json()["errors"][0]["type"] == "string_pattern_mismatch"
    assert await stored_counts(db) == before


async def test_a_terminated_partner_cannot_change(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await moved_to(client, await a_partner(client), "terminated")
    before = await stored_counts(db)

    response = await _patch(
        client, partner, {"display_name": "Back again"}, **{"If-Match": f'"{partner["version"]}"'}
    )

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/partner-terminated"
    assert await stored_counts(db) == before


async def test_an_unknown_partner_cannot_be_updated(client: httpx.AsyncClient) -> None:
    response = await client.patch(f"/v1/partners/{uuid.uuid4()}", json={}, headers={"If-Match": '"1"'})

    assert response.status_code == 404


# --- what a partner may change about itself ----------------------------------------------------------------


async def test_a_partner_updates_how_it_presents_itself(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    me = signed_as(partner_user(partner))

    response = await client.patch(
        f"/v1/partners/{partner['id']}",
        json={
            "display_name": "Acme — Networks & Cloud",
            "website_domain": "acme-cloud.example",
            "year_founded": 1998,
            "employee_count": 120,
            "specialisations": {"industries": ["Manufacturing"]},
            "segments_served": ["enterprise"],
            # unchanged values of fields it may not change are fine
            "legal_name": partner["legal_name"],
        },
        headers={**me, "If-Match": '"1"'},
    )

    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "Acme — Networks & Cloud"
    assert (await history(client, partner))[0]["actor"] == partner_user(partner).subject


@pytest.mark.parametrize(
    "body",
    [
        {"legal_name": "Acme Holding"},
        {"registration_number": "HRB 1"},
        {"country": "AT"},
        {"partner_type": "distributor"},
        {"annual_revenue": {"amount": "999999999.00", "currency": "EUR"}},
        {"custom_attributes": {"discount_override": 40}},
        {"display_name": "Fine", "legal_name": "Acme Holding"},
    ],
)
async def test_a_partner_cannot_change_what_the_channel_team_owns(
    client: httpx.AsyncClient, db: AsyncSession, body: dict[str, Any]
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    response = await client.patch(
        f"/v1/partners/{partner['id']}",
        json=body,
        headers={**signed_as(partner_user(partner)), "If-Match": '"1"'},
    )

    assert response.status_code == 403
    refused = [name for name in body if name != "display_name"]
    assert response.json()["fields"] == refused
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/partners/{partner['id']}")).json() == partner


async def test_a_partner_cannot_update_another_partner(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    before = await stored_counts(db)

    response = await client.patch(
        f"/v1/partners/{other['id']}",
        json={"display_name": "Hijacked"},
        headers={**signed_as(partner_user(partner)), "If-Match": '"1"'},
    )

    assert response.status_code == 403
    assert await stored_counts(db) == before


async def test_reading_scope_cannot_update(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await a_partner(client)

    response = await client.patch(
        f"/v1/partners/{partner['id']}",
        json={"display_name": "X"},
        headers={**signed_as(ANALYST), "If-Match": '"1"'},
    )

    assert response.status_code == 403

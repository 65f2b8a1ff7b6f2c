"""A list shows each item exactly as its own GET does: lists read plain rows with their children aggregated
by the database (`prm_kit.db.listing`), single reads load entities, and both must say the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prm_kit.clock import utc_now

from .factories import (
    CONFLICT_MANAGER,
    DEAL_MANAGER,
    a_case,
    a_certification,
    a_deal,
    a_house_account,
    a_partner,
    a_territory,
    an_active_partner,
    deal_partner_user,
    signed_as,
)

pytestmark = pytest.mark.asyncio


async def _listed(client: httpx.AsyncClient, path: str, **headers: str) -> list[dict[str, Any]]:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _read(client: httpx.AsyncClient, path: str, **headers: str) -> dict[str, Any]:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    item: dict[str, Any] = response.json()
    return item


async def test_a_listed_partner_reads_as_its_own_get(client: httpx.AsyncClient) -> None:
    partner = await a_partner(
        client,
        annual_revenue={"amount": "1250.5", "currency": "EUR"},
        specialisations={"product_lines": ["Networking", "Security"], "industries": ["Healthcare"]},
        segments_served=["smb", "enterprise"],
        custom_attributes={"crm": "0015g", "nested": {"a": [1, 2.5, None]}},
    )

    [listed] = await _listed(client, f"/v1/partners?registration_number={partner['registration_number']}")

    assert listed == await _read(client, f"/v1/partners/{partner['id']}")
    assert listed["annual_revenue"] == {"amount": "1250.50", "currency": "EUR"}
    assert listed["specialisations"] == {
        "product_lines": ["Networking", "Security"],
        "industries": ["Healthcare"],
    }


@pytest.mark.parametrize(
    ("moment", "revenue", "text"),
    [
        (
            datetime(2026, 12, 2, 6, 30, tzinfo=UTC),
            "1250.125",
            'Quote " backslash \\ slash / Ünïcødé 北京 🚀',
        ),
        (datetime(2026, 12, 2, 6, 30, 0, 120, tzinfo=UTC), "0.1234", "<b>Müller</b> & Söhne"),
        (datetime(1999, 1, 1, 0, 0, 0, 999_999, tzinfo=UTC), "100000000000000", "O'Brien \u2028 Søn"),
    ],
    ids=["whole-second", "microseconds", "last-century"],
)
async def test_a_partner_with_awkward_values_lists_as_its_own_get(
    app: FastAPI, client: httpx.AsyncClient, moment: datetime, revenue: str, text: str
) -> None:
    """On PostgreSQL the list's items are JSON the database writes, the GET's a model pydantic writes: every
    format they could differ in (timestamps with and without a fraction, amounts of 2 to 4 decimals, escapes
    and non-ASCII text, JSON documents) must come out the same."""
    app.dependency_overrides[utc_now] = lambda: moment
    try:
        partner = await a_partner(
            client,
            legal_name=f"{text} GmbH",
            display_name=text,
            annual_revenue={"amount": revenue, "currency": "EUR"},
            specialisations={"product_lines": [text, "Zebra", "alpha"], "industries": []},
            custom_attributes={
                "note": f"{text}\n\tline two",
                "n": [1, 2.5, -3e-7, None, True],
                "deep": {"b": {}},
            },
        )
    finally:
        app.dependency_overrides.pop(utc_now)

    [listed] = await _listed(client, f"/v1/partners?registration_number={partner['registration_number']}")

    assert listed == await _read(client, f"/v1/partners/{partner['id']}")
    assert listed["created_at"] == moment.isoformat().replace("+00:00", "Z")
    assert listed["specialisations"] == partner["specialisations"]
    assert listed["annual_revenue"] == partner["annual_revenue"]


async def test_a_listed_registration_with_conflicts_reads_as_its_own_get(client: httpx.AsyncClient) -> None:
    partner, other = await an_active_partner(client), await a_partner(client)
    territory = await a_territory(client, other, region=None, exclusive=True)  # all of Germany
    domain = f"initech-{uuid.uuid4().hex[:8]}.example"
    account = await a_house_account(client, customer_name="Initech AG", customer_domain=domain)
    mine = await a_deal(client, partner, customer_name="Initech", customer_domain=domain, country="DE")
    assert [(c["kind"], c["house_account_id"], c["territory_id"]) for c in mine["conflicts"]] == [
        ("house_account", account["id"], None),
        ("exclusive_territory", None, territory["id"]),
    ]
    own = signed_as(deal_partner_user(partner))

    # the channel team sees the conflicts in full, the partner without the other parties
    [listed] = await _listed(
        client, f"/v1/deal-registrations?partner_id={partner['id']}", **signed_as(DEAL_MANAGER)
    )
    [listed_own] = await _listed(client, "/v1/deal-registrations", **own)

    assert listed == await _read(client, f"/v1/deal-registrations/{mine['id']}", **signed_as(DEAL_MANAGER))
    assert listed_own == await _read(client, f"/v1/deal-registrations/{mine['id']}", **own)
    assert listed["conflicts"][0]["explanation"] is not None
    assert all(c["territory_id"] is None and c["explanation"] is None for c in listed_own["conflicts"])


async def test_listed_cases_territories_accounts_and_certifications_read_as_their_own_gets(
    client: httpx.AsyncClient,
) -> None:
    first, second = await a_partner(client), await a_partner(client)
    territory = await a_territory(client, first, exclusive=True)
    await a_territory(client, second, exclusive=True)  # the same scope: in conflict with the first
    case = await a_case(
        client,
        first,
        second,
        "vendor_direct",
        territory_ids=[territory["id"]],
        root_causes=[{"cause": "other", "detail": "a reseller quoted below cost"}, {"cause": "pricing"}],
    )
    ruled = await client.post(
        f"/v1/conflict-cases/{case['id']}/steps",
        json={
            "to_stage": "ruled",
            "resolution": {"ruling": "Direct keeps it", "outcome": "awarded", "awarded_to": "vendor_direct"},
        },
        headers=signed_as(CONFLICT_MANAGER),
    )
    assert ruled.status_code == 201, ruled.text
    account = await a_house_account(client, customer_domain=f"a-{uuid.uuid4().hex[:8]}.example")
    certification = await a_certification(client, first, expires_on=None)
    expiring = await a_certification(client, first)

    [listed_case] = await _listed(
        client, f"/v1/conflict-cases?party={first['id']}", **signed_as(CONFLICT_MANAGER)
    )
    assert listed_case == await _read(
        client, f"/v1/conflict-cases/{case['id']}", **signed_as(CONFLICT_MANAGER)
    )
    assert listed_case["parties"] == [first["id"], second["id"], "vendor_direct"]
    assert listed_case["resolution"]["awarded_to"] == "vendor_direct"

    [listed_territory] = await _listed(client, f"/v1/partners/{first['id']}/territories")
    assert listed_territory == await _read(
        client, f"/v1/partners/{first['id']}/territories/{territory['id']}"
    )
    assert listed_territory["conflict_count"] == 1

    listed_accounts = await _listed(client, "/v1/house-accounts?limit=200", **signed_as(DEAL_MANAGER))
    assert (
        await _read(client, f"/v1/house-accounts/{account['id']}", **signed_as(DEAL_MANAGER))
        in listed_accounts
    )

    expiring_items = await _listed(client, "/v1/certifications/expiring?within_days=3650&limit=200")
    assert (
        await _read(client, f"/v1/partners/{first['id']}/certifications/{expiring['id']}") in expiring_items
    )
    assert certification["id"] not in {item["id"] for item in expiring_items}

"""Registering partners: what is stored, what is announced, and what is refused without storing anything."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    ANALYST,
    CHANNEL_MANAGER,
    a_partner,
    history,
    outbox_payloads,
    partner_body,
    partner_user,
    signed_as,
    stored_counts,
    stored_partner,
)

pytestmark = pytest.mark.asyncio


async def test_a_channel_manager_registers_a_partner_with_every_field(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    body = partner_body(
        legal_name="  Nordlicht IT Services GmbH ",
        display_name="Nordlicht IT",
        partner_type="msp",
        country="de",
        region="DACH",
        registration_number="HRB 778899",
        website_domain="https://www.Nordlicht-IT.example/about",
        year_founded=2009,
        employee_count=85,
        annual_revenue={"amount": "12500000.50", "currency": "EUR"},
        specialisations={
            "product_lines": ["Networking", "security", "networking "],
            "industries": ["Healthcare"],
        },
        segments_served=["smb", "mid_market", "smb"],
        custom_attributes={"crm_account_id": "0015g00000XyZ", "flags": {"vip": True}},
    )

    response = await client.post("/v1/partners", json=body)

    assert response.status_code == 201, response.text
    partner = response.json()
    assert response.headers["location"] == f"/v1/partners/{partner['id']}"
    assert response.headers["etag"] == '"1"'
    assert partner["legal_name"] == "Nordlicht IT Services GmbH"
    assert partner["country"] == "DE"
    assert partner["website_domain"] == "nordlicht-it.example"
    assert partner["status"] == "prospect"
    assert partner["status_reason"] is None
    assert partner["version"] == 1
    assert partner["annual_revenue"] == {"amount": "12500000.50", "currency": "EUR"}
    # de-duplicated case-insensitively, first spelling and order kept
    assert partner["specialisations"] == {
        "product_lines": ["Networking", "security"],
        "industries": ["Healthcare"],
    }
    assert partner["segments_served"] == ["smb", "mid_market"]
    assert partner["tier"] is None  # tiers are set by tier changes
    assert partner["created_at"].endswith("Z")

    stored = await stored_partner(db, partner["id"])
    assert stored is not None
    assert stored.annual_revenue_amount == Decimal("12500000.5")
    assert stored.annual_revenue_currency == "EUR"
    assert stored.registration_number_key == "HRB778899"

    [created] = await history(client, partner)
    assert created["kind"] == "created"
    assert created["actor"] == "user:cm-anna"
    assert created["to_status"] == "prospect"
    assert {"field": "legal_name", "before": None, "after": "Nordlicht IT Services GmbH"} in created[
        "changes"
    ]
    assert "region" in [c["field"] for c in created["changes"]]

    [event] = await outbox_payloads(db, "partner.created")
    assert event["type"] == "partner.created"
    assert event["source"] == "partner-registry"
    assert event["data"]["partner"] == partner


async def test_the_display_name_defaults_to_the_legal_name(client: httpx.AsyncClient) -> None:
    body = partner_body(legal_name="Blue Harbor Distribution Ltd")
    del body["display_name"]

    partner = (await client.post("/v1/partners", json=body)).json()

    assert partner["display_name"] == "Blue Harbor Distribution Ltd"
    assert partner["specialisations"] == {"product_lines": [], "industries": []}
    assert partner["custom_attributes"] == {}
    assert partner["annual_revenue"] is None


async def test_missing_required_fields_are_each_listed(client: httpx.AsyncClient, db: AsyncSession) -> None:
    before = await stored_counts(db)

    response = await client.post("/v1/partners", json={"region": "DACH"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    missing = sorted(e["loc"][-1] for e in problem["errors"] if e["type"] == "missing")
    assert missing == ["country", "legal_name", "partner_type"]
    assert await stored_counts(db) == before


@pytest.mark.parametrize(
    ("field", "value", "message_part"),
    [
        ("country", "XX", "ISO 3166-1 alpha-2"),
        ("country", "Germany", "ISO 3166-1 alpha-2"),
        ("annual_revenue", {"amount": "100.00", "currency": "EURO"}, "ISO 4217"),
        ("annual_revenue", {"amount": "100.00", "currency": "XAU"}, "ISO 4217"),
        ("annual_revenue", {"amount": 1234.5, "currency": "EUR"}, "decimal string"),
        ("annual_revenue", {"amount": "-5.00", "currency": "EUR"}, "cannot be negative"),
        ("partner_type", "wholesaler", "distributor"),
        ("website_domain", "not a domain", "domain name"),
        ("year_founded", 2999, "future"),
        ("segments_served", ["galactic"], "smb"),
        ("tier", "gold", "/tier-changes"),
        ("custom_attributes", ["not", "an", "object"], "dictionary"),
        ("status", "active", "Extra inputs"),
        # compared by its letters and digits alone, such a number would be no number (and all one number)
        ("registration_number", "-", "should match pattern"),
        ("registration_number", " ./- ", "should match pattern"),
        ("registration_number", "---", "should match pattern"),
    ],
)
async def test_invalid_values_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, field: str, value: object, message_part: str
) -> None:
    before = await stored_counts(db)

    response = await client.post("/v1/partners", json=partner_body(**{field: value}))

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["loc"][:2] == ["body", field]
    assert message_part in error["msg"]
    assert await stored_counts(db) == before


async def test_money_sent_as_a_json_number_asks_for_a_string(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    before = await stored_counts(db)

    response = await client.post(
        "/v1/partners", json=partner_body(annual_revenue={"amount": 1000000, "currency": "EUR"})
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "annual_revenue", "amount"]
    assert error["msg"] == 'amount must be sent as a decimal string such as "1234.50", not as a JSON number'
    assert await stored_counts(db) == before


async def test_oversized_custom_attributes_are_refused_with_422(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    before = await stored_counts(db)
    attributes = {f"note_{i}": "x" * 100 for i in range(170)}  # 170 * ~113 bytes > 16 KiB

    response = await client.post("/v1/partners", json=partner_body(custom_attributes=attributes))

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "custom_attributes"]
    assert error["type"] == "custom_attributes_too_large"
    assert "at most 16384 bytes" in error["msg"]
    assert await stored_counts(db) == before


async def test_custom_attributes_nested_too_deep_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/partners", json=partner_body(custom_attributes={"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}})
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "custom_attributes_too_deep"


async def test_a_registration_number_is_unique_per_country(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await a_partner(client, country="DE", registration_number="HRB 123456")
    before = await stored_counts(db)

    # the same number written differently is the same number
    response = await client.post(
        "/v1/partners",
        json=partner_body(country="DE", registration_number="hrb-123.456", legal_name="Copycat"),
    )

    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "/problems/registration-number-taken"
    assert problem["existing_partner_id"] == first["id"]
    assert await stored_counts(db) == before

    elsewhere = await client.post(
        "/v1/partners", json=partner_body(country="AT", registration_number="HRB 123456")
    )
    assert elsewhere.status_code == 201


async def test_partners_without_a_registration_number_do_not_collide(client: httpx.AsyncClient) -> None:
    await a_partner(client, registration_number=None)
    await a_partner(client, registration_number=None)


async def test_a_partner_credential_cannot_register_partners(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    own = await a_partner(client)
    before = await stored_counts(db)

    response = await client.post("/v1/partners", json=partner_body(), headers=signed_as(partner_user(own)))

    assert response.status_code == 403
    assert await stored_counts(db) == before


async def test_reading_scope_is_not_enough_to_register(client: httpx.AsyncClient, db: AsyncSession) -> None:
    before = await stored_counts(db)

    response = await client.post("/v1/partners", json=partner_body(), headers=signed_as(ANALYST))

    assert response.status_code == 403
    assert "partners:write" in response.json()["detail"]
    assert await stored_counts(db) == before


# --- Idempotency-Key ---------------------------------------------------------------------------------------


async def test_a_retried_registration_gets_the_first_answer_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    body = partner_body(legal_name="Retry Networks AG")
    key = {"Idempotency-Key": "6b0c8f0e-5d1e-4d7a-9a51-0d5d0f3f6a11"}

    first = await client.post("/v1/partners", json=body, headers=key)
    counts_after_first = await stored_counts(db)
    # the same data with other key order and spacing is the same request
    again = await client.post(
        "/v1/partners",
        content=json.dumps(dict(reversed(list(body.items()))), indent=2),
        headers={**key, "content-type": "application/json"},
    )

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await stored_counts(db) == counts_after_first
    assert len(await outbox_payloads(db, "partner.created")) == 1


async def test_an_idempotency_key_reused_for_another_body_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    key = {"Idempotency-Key": "order-2026-11-27-001"}
    await client.post("/v1/partners", json=partner_body(legal_name="First Ltd"), headers=key)
    before = await stored_counts(db)

    response = await client.post("/v1/partners", json=partner_body(legal_name="Second Ltd"), headers=key)

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "/problems/idempotency-key-reused"
    assert problem["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await stored_counts(db) == before


async def test_idempotency_keys_belong_to_one_principal(client: httpx.AsyncClient, db: AsyncSession) -> None:
    other_manager = signed_as(
        CHANNEL_MANAGER.model_copy(update={"subject": "user:cm-carl"}),
    )
    key = "shared-looking-key"

    mine = await client.post(
        "/v1/partners", json=partner_body(legal_name="Mine"), headers={"Idempotency-Key": key}
    )
    theirs = await client.post(
        "/v1/partners",
        json=partner_body(legal_name="Theirs"),
        headers={**other_manager, "Idempotency-Key": key},
    )

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


async def test_a_refused_request_stores_no_key_so_a_corrected_retry_runs(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await a_partner(client, country="FR", registration_number="552 100 554")
    key = {"Idempotency-Key": "import-line-17"}
    before = await stored_counts(db)

    refused = await client.post(
        "/v1/partners", json=partner_body(country="FR", registration_number="552100554"), headers=key
    )
    assert refused.status_code == 409
    assert await stored_counts(db) == before

    corrected = await client.post(
        "/v1/partners", json=partner_body(country="FR", registration_number="552100555"), headers=key
    )
    assert corrected.status_code == 201
    assert "idempotent-replayed" not in corrected.headers


@pytest.mark.parametrize("key", ["has space", "ключ".encode(), "x" * 256, ""])
async def test_malformed_idempotency_keys_are_refused(
    client: httpx.AsyncClient, db: AsyncSession, key: str | bytes
) -> None:
    before = await stored_counts(db)

    response = await client.post("/v1/partners", json=partner_body(), headers={"Idempotency-Key": key})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await stored_counts(db) == before

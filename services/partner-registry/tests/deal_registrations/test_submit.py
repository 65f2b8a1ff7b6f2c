"""Registering deals: what is stored and announced, the conflicts found, and what is refused without storing
anything."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from partner_registry.models import DealRegistration, DealRegistrationNameToken
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    DEAL_MANAGER,
    a_deal,
    a_house_account,
    a_partner,
    a_territory,
    an_active_partner,
    days_ahead,
    deal_body,
    deal_partner_user,
    moved_to,
    outbox_payloads,
    signed_as,
    stored_counts,
)

pytestmark = pytest.mark.asyncio


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _stored(db: AsyncSession, registration: dict[str, Any]) -> DealRegistration:
    stored = await db.scalar(
        sa.select(DealRegistration)
        .where(DealRegistration.id == uuid.UUID(registration["id"]))
        .execution_options(populate_existing=True)
    )
    assert stored is not None
    return stored


async def test_a_registration_without_conflicts_is_approved_and_protected_for_90_days(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await an_active_partner(client)
    me = deal_partner_user(partner)
    body = deal_body(
        customer_name="  Globex Corporation ",
        customer_domain="https://www.Globex.example/about",
        country="de",
        region="Bavaria",
        customer_segment="enterprise",
        products=["Firewall", "VPN", "firewall "],
        estimated_value={"amount": "125000.5", "currency": "EUR"},
        expected_close_on=days_ahead(45),
        notes="CIO wants a PoC in Q3",
    )

    response = await client.post("/v1/deal-registrations", json=body, headers=signed_as(me))

    assert response.status_code == 201, response.text
    registration = response.json()
    assert response.headers["location"] == f"/v1/deal-registrations/{registration['id']}"
    assert response.headers["etag"] == 'W/"1"'
    assert {k: registration[k] for k in ("partner_id", "customer_name", "customer_domain", "country")} == {
        "partner_id": partner["id"],  # a partner's own credential need not name its partner
        "customer_name": "Globex Corporation",
        "customer_domain": "globex.example",
        "country": "DE",
    }
    assert registration["products"] == ["Firewall", "VPN"]  # de-duplicated case-insensitively
    assert registration["estimated_value"] == {"amount": "125000.50", "currency": "EUR"}
    assert registration["expected_close_on"] == days_ahead(45)
    assert (registration["status"], registration["has_conflicts"], registration["conflicts"]) == (
        "approved",
        False,
        [],
    )
    assert registration["decided_by"] == "system:auto-approval"
    assert registration["submitted_by"] == me.subject
    assert _at(registration["protected_until"]) - _at(registration["decided_at"]) == timedelta(days=90)
    assert registration["decided_at"] == registration["created_at"]
    assert registration["extension_used"] is False

    stored = await _stored(db, registration)
    assert stored.estimated_value_amount == Decimal("125000.5")
    assert stored.customer_name_key == "globex"
    tokens = await db.scalars(
        sa.select(DealRegistrationNameToken.token).where(
            DealRegistrationNameToken.deal_registration_id == stored.id
        )
    )
    # the normalised name "globex", and each spelling of it without one letter
    assert set(tokens.all()) == {"globex", "lobex", "gobex", "glbex", "gloex", "globx", "globe"}

    [event] = await outbox_payloads(db, "deal_registration.approved")
    assert event["source"] == "partner-registry"
    assert event["data"]["automatic"] is True
    assert event["data"]["from_status"] is None
    assert event["data"]["to_status"] == "approved"
    assert event["data"]["protected_until"] == registration["protected_until"]
    assert event["data"]["registration"]["id"] == registration["id"]

    history = (await client.get(f"/v1/deal-registrations/{registration['id']}/history")).json()["items"]
    assert [(e["kind"], e["from_status"], e["to_status"], e["actor"]) for e in history] == [
        ("submitted", None, "approved", me.subject)
    ]


async def test_the_same_customer_domain_of_another_partner_goes_to_review_with_the_reasons(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first, second = await an_active_partner(client), await an_active_partner(client)
    earlier = await a_deal(
        client,
        first,
        customer_name="Globex",
        customer_domain="globex.example",
        products=["firewall", "vpn", "switches"],
    )

    response = await client.post(
        "/v1/deal-registrations",
        json=deal_body(
            second,
            customer_name="Globex Holding",
            customer_domain="http://WWW.GLOBEX.example:8080/contact",
            products=["VPN", "Firewall", "wifi"],
        ),
    )

    assert response.status_code == 201, response.text
    registration = response.json()
    assert (registration["status"], registration["has_conflicts"]) == ("pending_review", True)
    assert registration["decided_by"] is None
    assert registration["protected_until"] is None
    assert [
        (c["kind"], c["score"], c["other_registration_id"], c["other_partner_id"])
        for c in registration["conflicts"]
    ] == [
        ("customer_domain", 100, earlier["id"], first["id"]),
        # firewall and vpn are shared; both lists have 3 products: 2/3 = 66.7 → 67
        ("product_overlap", 67, earlier["id"], first["id"]),
    ]
    assert registration["conflicts"][0]["reason"] == (
        "another partner's approved registration is for the same customer domain globex.example"
    )
    assert registration["conflicts"][1]["reason"] == (
        "another partner's approved registration for the same customer covers VPN, Firewall too"
    )
    assert await outbox_payloads(db, "deal_registration.approved") != []  # the first one's only
    assert len(await outbox_payloads(db, "deal_registration.approved")) == 1


async def test_a_look_alike_customer_name_is_a_conflict_scored_by_similarity(
    client: httpx.AsyncClient,
) -> None:
    first, second = await an_active_partner(client), await an_active_partner(client)
    earlier = await a_deal(client, first, customer_name="Zalando SE", customer_domain="zalando.example")

    # no domain of its own: with one (unrelated to zalando.example) the score would lose 15, 93 - 15 < 88
    registration = await a_deal(
        client, second, customer_name="Zalandoo", customer_domain=None, products=["wifi"]
    )

    assert registration["status"] == "pending_review"
    [conflict] = registration["conflicts"]
    # "zalando" vs "zalandoo": one insertion over 15 characters, 1 - 1/15 = 93.3 → 93
    assert (conflict["kind"], conflict["score"], conflict["other_registration_id"]) == (
        "customer_name",
        93,
        earlier["id"],
    )
    assert "'Zalandoo' matches 'Zalando SE'" in conflict["reason"]


async def test_the_same_name_on_two_own_domains_is_a_name_conflict(client: httpx.AsyncClient) -> None:
    first, second = await an_active_partner(client), await an_active_partner(client)
    earlier = await a_deal(
        client, first, customer_name="Quokka Plumbing Zaragoza", customer_domain="quokka-plumbing.example"
    )

    # one firm with two domains: the same name after normalisation keeps its 100 (no unrelated-domains
    # penalty, which would leave 85 < 88); a look-alike on a third domain still loses 15
    same = await a_deal(
        client, second, customer_name="Quokka Plumbing Zaragoza S.L.", customer_domain="quokka.example"
    )
    look_alike = await a_deal(
        client, second, customer_name="Quokka Plumbings Zaragosa", customer_domain="quokka-z.example"
    )

    assert same["status"] == "pending_review"
    name_conflict = same["conflicts"][0]
    assert (name_conflict["kind"], name_conflict["score"], name_conflict["other_registration_id"]) == (
        "customer_name",
        100,
        earlier["id"],
    )
    assert (look_alike["status"], look_alike["conflicts"]) == ("approved", [])


async def test_a_name_below_the_threshold_is_another_customer(client: httpx.AsyncClient) -> None:
    first, second = await an_active_partner(client), await an_active_partner(client)
    await a_deal(client, first, customer_name="Siemens AG", customer_domain="siemens.example")

    # compared with the final s folded (a plural): "siemen" vs "seimen", 2 edits over 12 characters,
    # 1 - 2/12 = 83.3 < 88 (no domain of its own: no unrelated-domains penalty either)
    registration = await a_deal(client, second, customer_name="Seimens", customer_domain=None)

    assert (registration["status"], registration["conflicts"]) == ("approved", [])


async def test_the_name_threshold_is_a_setting(registry_with: Any) -> None:
    async with registry_with(deal_name_match_threshold=80) as (client, _db, _app):
        first, second = await an_active_partner(client), await an_active_partner(client)
        await a_deal(client, first, customer_name="Siemens AG", customer_domain="siemens.example")

        registration = await a_deal(
            client, second, customer_name="Seimens", customer_domain=None, products=["wifi"]
        )

    # "siemen" vs "seimen": 1 - 2/12 = 83.3 ≥ 80 (no domain of its own, so no unrelated-domains penalty)
    assert [(c["kind"], c["score"]) for c in registration["conflicts"]] == [("customer_name", 83)]


async def test_a_house_account_customer_goes_to_review(client: httpx.AsyncClient) -> None:
    account = await a_house_account(client, customer_name="Initech AG", customer_domain="initech.example")
    partner = await an_active_partner(client)

    by_domain = await a_deal(
        client, partner, customer_name="Unrelated Name", customer_domain="initech.example"
    )
    # by name: without a domain (an unrelated own domain would cost the name match 15)
    by_name = await a_deal(client, partner, customer_name="INITECH", customer_domain=None)

    for registration in (by_domain, by_name):
        assert registration["status"] == "pending_review"
        [conflict] = registration["conflicts"]
        assert (conflict["kind"], conflict["score"], conflict["house_account_id"]) == (
            "house_account",
            100,
            account["id"],
        )
    assert "(the same domain initech.example)" in by_domain["conflicts"][0]["reason"]
    assert "(name similarity 100)" in by_name["conflicts"][0]["reason"]


@pytest.mark.parametrize(
    ("territory", "registered", "conflicting"),
    [
        ({"region": None}, {}, True),  # country-wide
        ({"region": "Bavaria"}, {"region": "BAVARIA"}, True),
        ({"region": "Bavaria"}, {"region": "Saxony"}, False),
        ({"region": "Bavaria"}, {}, False),  # the customer's region is not known to be Bavaria
        ({"region": None, "segment": "enterprise"}, {}, True),  # segment not given: it might be enterprise
        ({"region": None, "segment": "enterprise"}, {"customer_segment": "smb"}, False),
        ({"region": None, "country": "AT"}, {}, False),
    ],
)
async def test_a_customer_inside_another_partners_exclusive_territory_goes_to_review(
    client: httpx.AsyncClient, territory: dict[str, Any], registered: dict[str, Any], conflicting: bool
) -> None:
    holder, partner = await an_active_partner(client), await an_active_partner(client)
    exclusive = await a_territory(client, holder, exclusive=True, **territory)

    registration = await a_deal(client, partner, country="DE", **registered)

    if conflicting:
        assert registration["status"] == "pending_review"
        [conflict] = registration["conflicts"]
        assert (
            conflict["kind"],
            conflict["score"],
            conflict["territory_id"],
            conflict["other_partner_id"],
        ) == (
            "exclusive_territory",
            100,
            exclusive["id"],
            holder["id"],
        )
    else:
        assert (registration["status"], registration["conflicts"]) == ("approved", [])


async def test_non_exclusive_and_own_territories_do_not_conflict(client: httpx.AsyncClient) -> None:
    other, partner = await an_active_partner(client), await an_active_partner(client)
    await a_territory(client, other, region=None, exclusive=False)
    await a_territory(client, partner, region=None, exclusive=True)

    registration = await a_deal(client, partner)

    assert registration["status"] == "approved"


async def test_a_partner_does_not_conflict_with_its_own_registrations(client: httpx.AsyncClient) -> None:
    partner = await an_active_partner(client)
    await a_deal(client, partner, customer_name="Globex", customer_domain="globex.example")

    again = await a_deal(client, partner, customer_name="Globex", customer_domain="globex.example")

    assert again["status"] == "approved"


async def test_closed_registrations_claim_nothing(client: httpx.AsyncClient) -> None:
    first, second = await an_active_partner(client), await an_active_partner(client)
    earlier = await a_deal(client, first, customer_name="Globex", customer_domain="globex.example")
    lost = await client.post(
        f"/v1/deal-registrations/{earlier['id']}/outcome", json={"outcome": "lost", "reason": "budget cut"}
    )
    assert lost.status_code == 200, lost.text

    registration = await a_deal(client, second, customer_name="Globex Corp", customer_domain="globex.example")

    assert registration["status"] == "approved"


async def test_a_pending_registration_of_another_partner_conflicts_too(client: httpx.AsyncClient) -> None:
    first, second, third = [await an_active_partner(client) for _ in range(3)]
    approved = await a_deal(client, first, customer_domain="globex.example")
    pending = await a_deal(client, second, customer_domain="globex.example")
    assert pending["status"] == "pending_review"

    registration = await a_deal(client, third, customer_domain="globex.example", products=["wifi"])

    assert sorted(c["other_registration_id"] for c in registration["conflicts"]) == sorted(
        [approved["id"], pending["id"]]
    )
    assert {c["reason"].split(" registration")[0] for c in registration["conflicts"]} == {
        "another partner's approved",
        "another partner's pending review",
    }


async def test_with_auto_approval_off_every_registration_waits_for_review(registry_with: Any) -> None:
    async with registry_with(deal_auto_approve=False, deal_protection_days=30) as (client, db, _app):
        partner = await an_active_partner(client)

        registration = await a_deal(client, partner)
        decided = await client.post(
            f"/v1/deal-registrations/{registration['id']}/decision",
            json={"decision": "approved", "reason": "checked by hand"},
        )
        events = await outbox_payloads(db, "deal_registration.approved")

    assert (registration["status"], registration["conflicts"]) == ("pending_review", [])
    assert _at(decided.json()["protected_until"]) - _at(decided.json()["decided_at"]) == timedelta(days=30)
    assert [e["data"]["automatic"] for e in events] == [False]


async def test_a_partner_sees_that_it_conflicts_but_not_with_whom(client: httpx.AsyncClient) -> None:
    first, second = await an_active_partner(client), await an_active_partner(client)
    await a_deal(client, first, customer_domain="globex.example", products=["vpn"])
    await a_house_account(client, customer_name="Globex Direct", customer_domain="globex.example")
    await a_territory(client, first, region=None, exclusive=True)
    me = signed_as(deal_partner_user(second))

    response = await client.post(
        "/v1/deal-registrations",
        json=deal_body(customer_domain="globex.example", products=["vpn"]),
        headers=me,
    )

    assert response.status_code == 201, response.text
    mine = response.json()
    # found from outside: each conflict's kind told the partner what its credential may not read (a house
    # account by name, an exclusive territory and how many hold it, a rival's products), one guess a time
    assert (mine["status"], mine["has_conflicts"], mine["conflicts"]) == ("pending_review", True, [])
    assert first["id"] not in response.text
    assert "Globex Direct" not in response.text
    # the same registration as the channel team sees it
    full = (await client.get(f"/v1/deal-registrations/{mine['id']}")).json()
    assert [c["kind"] for c in full["conflicts"]] == [
        "customer_domain",
        "product_overlap",
        "house_account",
        "exclusive_territory",
    ]
    assert full["conflicts"][0]["other_partner_id"] == first["id"]
    assert full["conflicts"][2]["reason"].startswith("the customer is the vendor's direct (house) account")
    again = (await client.get(f"/v1/deal-registrations/{mine['id']}", headers=me)).json()
    assert again == mine
    listed = (await client.get("/v1/deal-registrations", params={"has_conflicts": "true"}, headers=me)).json()
    assert [(item["id"], item["conflicts"]) for item in listed["items"]] == [(mine["id"], [])]


async def test_a_retried_submission_gets_the_first_answer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await an_active_partner(client)
    body = deal_body(partner)
    key = {"Idempotency-Key": "register-globex-once"}

    first = await client.post("/v1/deal-registrations", json=body, headers=key)
    counts = await stored_counts(db)
    retried = await client.post("/v1/deal-registrations", json=body, headers=key)
    reused = await client.post("/v1/deal-registrations", json={**body, "notes": "other"}, headers=key)

    assert first.status_code == retried.status_code == 201
    assert retried.content == first.content
    assert reused.status_code == 422
    assert reused.json()["type"] == "/problems/idempotency-key-reused"
    assert await stored_counts(db) == counts


# --- refused -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "loc", "message_part"),
    [
        ({"expected_close_on": days_ahead(-2)}, ["body", "expected_close_on"], "cannot be in the past"),
        ({"expected_close_on": "next week"}, ["body", "expected_close_on"], "date"),
        (
            {"estimated_value": {"amount": "0", "currency": "EUR"}},
            ["body", "estimated_value"],
            "greater than zero",
        ),
        (
            {"estimated_value": {"amount": "-100.00", "currency": "EUR"}},
            ["body", "estimated_value"],
            "greater than zero",
        ),
        (
            {"estimated_value": {"amount": "1.001", "currency": "EUR"}},
            ["body", "estimated_value"],
            "finer than the currency's minor unit (0.01)",
        ),
        (
            {"estimated_value": {"amount": "1500.5", "currency": "JPY"}},
            ["body", "estimated_value"],
            "finer than the currency's minor unit (1)",
        ),
        (
            {"estimated_value": {"amount": 100, "currency": "EUR"}},
            ["body", "estimated_value", "amount"],
            "decimal string",
        ),
        (
            {"estimated_value": {"amount": "100.00", "currency": "EURO"}},
            ["body", "estimated_value", "currency"],
            "ISO 4217",
        ),
        (
            {"estimated_value": {"amount": "100.00", "currency": "XAU"}},
            ["body", "estimated_value", "currency"],
            "ISO 4217",
        ),
        ({"country": "XX"}, ["body", "country"], "ISO 3166-1"),
        ({"country": "Germany"}, ["body", "country"], "ISO 3166-1"),
        (
            {"customer_domain": "not a domain"},
            ["body", "customer_domain"],
            "customer_domain must be a domain",
        ),
        ({"products": []}, ["body", "products"], "at least 1"),
        ({"customer_segment": "galactic"}, ["body", "customer_segment"], "smb"),
        ({"status": "approved"}, ["body", "status"], "Extra inputs"),
    ],
)
async def test_invalid_registrations_are_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, fields: dict[str, Any], loc: list[str], message_part: str
) -> None:
    partner = await an_active_partner(client)
    before = await stored_counts(db)

    response = await client.post("/v1/deal-registrations", json=deal_body(partner, **fields))

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["loc"] == loc
    assert message_part in error["msg"]
    assert await stored_counts(db) == before


async def test_an_unknown_partner_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    before = await stored_counts(db)
    unknown = str(uuid.uuid4())

    response = await client.post("/v1/deal-registrations", json={**deal_body(), "partner_id": unknown})
    unnamed = await client.post("/v1/deal-registrations", json=deal_body())

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["body", "partner_id"], "msg": "no such partner", "type": "not_found"}
    ]
    assert unnamed.status_code == 422
    assert unnamed.json()["errors"][0]["type"] == "missing"
    assert await stored_counts(db) == before


async def test_registering_for_another_partner_with_a_bound_key_is_403(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    mine, theirs = await an_active_partner(client), await an_active_partner(client)
    before = await stored_counts(db)

    response = await client.post(
        "/v1/deal-registrations", json=deal_body(theirs), headers=signed_as(deal_partner_user(mine))
    )

    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"
    assert await stored_counts(db) == before


@pytest.mark.parametrize("status", ["prospect", "suspended", "terminated"])
async def test_only_active_partners_register_deals(
    client: httpx.AsyncClient, db: AsyncSession, status: str
) -> None:
    partner = await moved_to(client, await a_partner(client), status)
    before = await stored_counts(db)

    response = await client.post("/v1/deal-registrations", json=deal_body(partner))

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/partner-not-active"
    assert response.json()["partner_status"] == status
    assert await stored_counts(db) == before


async def test_a_channel_manager_without_the_deal_scope_cannot_register(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await an_active_partner(client)
    before = await stored_counts(db)
    partners_only = signed_as(DEAL_MANAGER.model_copy(update={"scopes": frozenset({"partners:write"})}))

    response = await client.post("/v1/deal-registrations", json=deal_body(partner), headers=partners_only)

    assert response.status_code == 403
    assert await stored_counts(db) == before


async def test_a_registration_without_a_customer_domain_is_matched_by_name_and_country(
    client: httpx.AsyncClient,
) -> None:
    first, second = await an_active_partner(client), await an_active_partner(client)
    third = await an_active_partner(client)
    earlier = await a_deal(client, first, customer_name="Tessendorf Anlagenbau GmbH", customer_domain=None)
    body = deal_body(second, customer_name="Tessendorf Anlagebau", products=["wifi"])
    del body["customer_domain"]  # left out altogether

    response = await client.post("/v1/deal-registrations", json=body)
    elsewhere = await a_deal(
        client, third, customer_name="Tessendorf Anlagenbau GmbH", customer_domain=None, country="AT"
    )

    assert response.status_code == 201, response.text
    registration = response.json()
    assert (earlier["customer_domain"], registration["customer_domain"]) == (None, None)
    assert registration["status"] == "pending_review"
    [conflict] = registration["conflicts"]
    # compared with "ss" folded to "s": "tesendorf anlagebau" (19) vs "tesendorf anlagenbau" (20), one
    # insertion over 39 characters, 1 - 1/39 = 97.4 → 97
    assert (conflict["kind"], conflict["score"], conflict["other_registration_id"]) == (
        "customer_name",
        97,
        earlier["id"],
    )
    assert conflict["explanation"] == {
        "relation": "same_name",
        "rule": "names alike (words in any order)",
        "fields": ["customer_name"],
        "submitted_form": "tesendorf anlagebau",
        "other_form": "tesendorf anlagenbau",
        "score": 97,
    }
    # the same name in another country, with no domain to tie them: 100 - 20 = 80 < 88
    assert (elsewhere["status"], elsewhere["conflicts"]) == ("approved", [])


async def test_a_same_group_registration_goes_to_review_shown_as_such(client: httpx.AsyncClient) -> None:
    first, second = await an_active_partner(client), await an_active_partner(client)
    earlier = await a_deal(client, first, customer_name="Acme GmbH", customer_domain="acme.de")

    registration = await a_deal(
        client, second, customer_name="Acme Holding", customer_domain="acme-holding.com", products=["wifi"]
    )

    assert registration["status"] == "pending_review"
    [conflict] = registration["conflicts"]
    assert (conflict["kind"], conflict["other_registration_id"]) == ("same_group", earlier["id"])
    assert conflict["explanation"]["relation"] == "same_group"
    assert conflict["reason"].startswith("customer 'Acme Holding' is of the same group as 'Acme GmbH'")

"""Reading stored lines: filters, keyset pages, and a partner's own credential seeing only its own lines."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from prm_contracts.principal import Principal
from prm_kit.testing import internal_headers

from .factories import Sender, a_line, is_problem, sales_reported
from .fakes import FakeRegistry

pytestmark = pytest.mark.asyncio


def reader(partner_id: UUID | None = None) -> dict[str, str]:
    return internal_headers(
        Principal(subject=f"key:{uuid4()}", scopes=frozenset({"analytics:read"}), partner_id=partner_id)
    )


async def _partner_with_lines(sender: Sender, registry: FakeRegistry, *lines: dict[str, Any]) -> UUID:
    partner_id, secret = registry.partner()
    response = await sender.send(partner_id, secret, sales_reported(*lines))
    assert response.status_code == 200, response.text
    return partner_id


async def test_a_line_reads_back_as_sent(
    client: httpx.AsyncClient, sender: Sender, registry: FakeRegistry
) -> None:
    line = a_line(
        external_id="INV-7-1",
        cost="210.5",
        customer={
            "name": "Initech",
            "domain": "https://www.Initech.example/about",
            "country": "FR",
            "external_id": "CUST-7",
            "is_new": True,
        },
    )
    partner_id, secret = registry.partner()
    sent = await sender.send(partner_id, secret, sales_reported(line), webhook_id="msg_read")
    line_id = sent.json()["accepted"][0]["line_id"]

    response = await client.get(f"/v1/sales/lines/{line_id}", headers=reader())

    assert response.status_code == 200
    body = response.json()
    assert body | {"received_at": None} == {
        "id": line_id,
        "partner_id": str(partner_id),
        "external_id": "INV-7-1",
        "kind": "sale",
        "occurred_on": "2026-06-15",
        "invoice_id": line["invoice_id"],
        "payment_status": "invoiced",
        "paid_on": None,
        "customer": {
            "name": "Initech",
            "domain": "initech.example",
            "country": "FR",
            "external_id": "CUST-7",
            "is_new": True,
        },
        "product": {"sku": "NET-100", "category": "networking"},
        "quantity": "2.0000",
        "unit_price": "150.0000",
        "amount": "300.0000",
        "currency": "EUR",
        "cost": "210.5000",
        "deal_registration_id": None,
        "original_external_id": None,
        "webhook_id": "msg_read",
        "received_at": None,
    }
    assert body["received_at"].startswith("2026-07-01T09:00:00")


async def test_lists_filter_and_page(
    client: httpx.AsyncClient, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id = await _partner_with_lines(
        sender,
        registry,
        a_line(external_id="A", occurred_on="2026-06-01"),
        a_line(external_id="B", occurred_on="2026-06-02", product={"sku": "S", "category": "storage"}),
        a_line(external_id="C", occurred_on="2026-06-03"),
        a_line(external_id="D", occurred_on="2026-06-03", kind="return", original_external_id="A"),
        a_line(external_id="E", occurred_on="2026-06-04"),
    )
    params = {"partner_id": str(partner_id)}

    async def external_ids(**query: str) -> list[str]:
        response = await client.get("/v1/sales/lines", params=params | query, headers=reader())
        assert response.status_code == 200, response.text
        return [item["external_id"] for item in response.json()["items"]]

    assert sorted(await external_ids()) == ["A", "B", "C", "D", "E"]
    assert (await external_ids())[0] == "E"  # latest first
    assert sorted(await external_ids(**{"from": "2026-06-02", "to": "2026-06-03"})) == ["B", "C", "D"]
    assert await external_ids(kind="return") == ["D"]
    assert await external_ids(product_category="storage") == ["B"]

    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/sales/lines", params=params | query, headers=reader())).json()
        seen += [item["external_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ["A", "B", "C", "D", "E"]  # each once


async def test_from_after_to_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/sales/lines", params={"from": "2026-06-05", "to": "2026-06-01"})

    assert is_problem(response, "validation-error", 422)
    assert response.json()["errors"][0]["loc"] == ["query", "from"]


async def test_a_partner_credential_sees_only_its_own_lines(
    client: httpx.AsyncClient, sender: Sender, registry: FakeRegistry
) -> None:
    own = await _partner_with_lines(sender, registry, a_line(external_id="OWN"))
    other = await _partner_with_lines(sender, registry, a_line(external_id="OTHER"))
    other_line = (
        await client.get("/v1/sales/lines", params={"partner_id": str(other)}, headers=reader())
    ).json()["items"][0]["id"]

    listed = await client.get("/v1/sales/lines", headers=reader(own))
    foreign = await client.get(f"/v1/sales/lines/{other_line}", headers=reader(own))
    asked_for_other = await client.get(
        "/v1/sales/lines", params={"partner_id": str(other)}, headers=reader(own)
    )

    assert {item["partner_id"] for item in listed.json()["items"]} == {str(own)}
    missing_id = uuid4()
    missing = await client.get(f"/v1/sales/lines/{missing_id}", headers=reader(own))
    # another partner's line answers as a line that does not exist
    assert is_problem(foreign, "not-found", 404)
    assert is_problem(missing, "not-found", 404)
    assert foreign.json()["detail"] == f"no sales line {other_line}"
    assert missing.json()["detail"] == f"no sales line {missing_id}"
    assert is_problem(asked_for_other, "forbidden", 403)

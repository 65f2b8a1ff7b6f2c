"""The MDF story end to end through the API: budget → allocation → request → approval → claim → approval
(`mdf_claim.decided` in the outbox) → paid, with what each answer says is left at every step."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest
import sqlalchemy as sa
from prm_kit.outbox import outbox_event
from sqlalchemy.ext.asyncio import AsyncSession

from .helpers import budget_body, claim_body, created, decided, eur, request_body

pytestmark = pytest.mark.asyncio


async def test_budget_to_paid_claim(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = uuid4()
    budget = await created(client, "/v1/mdf/budgets", budget_body("10000.00"))
    assert (budget["period"], budget["first_day"], budget["last_day"]) == (
        "2026-Q3",
        "2026-07-01",
        "2026-09-30",
    )

    allocation = await created(
        client,
        f"/v1/mdf/budgets/{budget['id']}/allocations",
        {"partner_id": str(partner), "amount": eur("3000.00")},
    )
    budget_now = (await client.get(f"/v1/mdf/budgets/{budget['id']}")).json()
    # 10000.00 - 3000.00 = 7000.00
    assert (budget_now["allocated"], budget_now["unallocated"]) == (eur("3000.00"), eur("7000.00"))

    request = await created(client, "/v1/mdf/requests", request_body(allocation["id"], "1200.50"))
    assert request["status"] == "pending"
    assert request["expected_roi"] == {"leads": 40, "pipeline": eur("50000.00"), "revenue_attributed": None}
    held = (await client.get(f"/v1/mdf/allocations/{allocation['id']}")).json()
    # a pending request reserves: 3000.00 - 1200.50 = 1799.50
    assert (held["reserved"], held["remaining"]) == (eur("1200.50"), eur("1799.50"))

    approved = await decided(client, f"/v1/mdf/requests/{request['id']}/decision")
    assert (approved["status"], approved["decided_by"]) == ("approved", "key:test-admin")
    assert approved["unclaimed"] == eur("1200.50")

    claim = await created(client, f"/v1/mdf/requests/{request['id']}/claims", claim_body("1000.25"))
    request_now = (await client.get(f"/v1/mdf/requests/{request['id']}")).json()
    # 1200.50 - 1000.25 = 200.25
    assert (request_now["claimed"], request_now["unclaimed"]) == (eur("1000.25"), eur("200.25"))

    decided_claim = await decided(client, f"/v1/mdf/claims/{claim['id']}/decision")
    assert decided_claim["status"] == "approved"
    [event] = (
        await db.execute(
            sa.select(outbox_event.c.type, outbox_event.c.payload).where(
                outbox_event.c.type == "mdf_claim.decided"
            )
        )
    ).all()
    data = event.payload["data"]
    assert (data["claim_id"], data["partner_id"], data["decision"]) == (claim["id"], str(partner), "approved")
    assert (data["amount"], data["period"], data["activity"]) == (
        eur("1000.25"),
        "2026-Q3",
        "Joint webinar series",
    )
    assert data["roi"] == {"leads": 35, "pipeline": eur("42000.00"), "revenue_attributed": eur("12000.00")}

    paid = await client.post(f"/v1/mdf/claims/{claim['id']}/payment", json={"payment_reference": "SEPA-7"})
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["payment_reference"]) == ("paid", "SEPA-7")
    assert paid.headers["ETag"] == '"3"'  # created 1, decided 2, paid 3


async def test_a_rejected_request_frees_its_reservation_and_a_rejected_claim_its_part(
    client: httpx.AsyncClient,
) -> None:
    budget = await created(client, "/v1/mdf/budgets", budget_body("1000.00"))
    allocation = await created(
        client,
        f"/v1/mdf/budgets/{budget['id']}/allocations",
        {"partner_id": str(uuid4()), "amount": eur("1000.00")},
    )
    first = await created(client, "/v1/mdf/requests", request_body(allocation["id"], "1000.00"))
    refused = await client.post("/v1/mdf/requests", json=request_body(allocation["id"], "0.01"))
    assert refused.status_code == 409

    await decided(client, f"/v1/mdf/requests/{first['id']}/decision", "rejected", reason="Not in plan")
    second = await created(client, "/v1/mdf/requests", request_body(allocation["id"], "1000.00"))
    await decided(client, f"/v1/mdf/requests/{second['id']}/decision")
    claim = await created(client, f"/v1/mdf/requests/{second['id']}/claims", claim_body("1000.00"))
    await decided(client, f"/v1/mdf/claims/{claim['id']}/decision", "rejected", reason="Proof unreadable")
    again = await created(client, f"/v1/mdf/requests/{second['id']}/claims", claim_body("1000.00"))

    assert again["status"] == "pending"
    listed = (await client.get("/v1/mdf/claims", params={"request_id": second["id"]})).json()["items"]
    assert [(c["id"], c["status"]) for c in listed] == [(again["id"], "pending"), (claim["id"], "rejected")]


async def test_lists_page_newest_first(client: httpx.AsyncClient) -> None:
    names = [f"Budget {uuid4().hex[:6]}" for _ in range(3)]
    for name in names:
        await created(client, "/v1/mdf/budgets", budget_body(name=name, period="2031-01"))

    first = (await client.get("/v1/mdf/budgets", params={"period": "2031-01", "limit": 2})).json()
    rest = (
        await client.get(
            "/v1/mdf/budgets", params={"period": "2031-01", "limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()

    assert [b["name"] for b in first["items"] + rest["items"]] == names[::-1]
    assert rest["next_cursor"] is None


async def test_a_repeated_idempotency_key_creates_one_request(client: httpx.AsyncClient) -> None:
    budget = await created(client, "/v1/mdf/budgets", budget_body("1000.00"))
    allocation = await created(
        client,
        f"/v1/mdf/budgets/{budget['id']}/allocations",
        {"partner_id": str(uuid4()), "amount": eur("600.00")},
    )
    body = request_body(allocation["id"], "600.00")

    answers = [
        await client.post("/v1/mdf/requests", json=body, headers={"Idempotency-Key": "mdf-1"}) for _ in "ab"
    ]

    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert answers[1].headers["Idempotent-Replayed"] == "true"

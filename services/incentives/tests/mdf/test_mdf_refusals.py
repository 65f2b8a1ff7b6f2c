"""What MDF refuses, each with problem+json and nothing stored: children above their parent, bad amounts,
floats, currencies other than the budget's, reversed dates, deciding or paying twice."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from .helpers import (
    an_allocation,
    an_approved_request,
    budget_body,
    claim_body,
    created,
    decided,
    eur,
    request_body,
    stored_counts,
)

pytestmark = pytest.mark.asyncio


async def _refused(
    client: httpx.AsyncClient, db: AsyncSession, path: str, body: dict[str, Any], status: int, slug: str
) -> dict[str, Any]:
    before = await stored_counts(db)
    answer = await client.post(path, json=body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = answer.json()
    assert problem["type"].endswith(f"/problems/{slug}"), problem
    assert problem["detail"]
    assert await stored_counts(db) == before
    return problem


async def test_allocations_never_exceed_the_budget(client: httpx.AsyncClient, db: AsyncSession) -> None:
    budget = await created(client, "/v1/mdf/budgets", budget_body("1000.00"))
    path = f"/v1/mdf/budgets/{budget['id']}/allocations"
    await created(client, path, {"partner_id": str(uuid4()), "amount": eur("600.00")})

    # 1000.00 - 600.00 = 400.00 left; 400.01 does not fit
    problem = await _refused(
        client, db, path, {"partner_id": str(uuid4()), "amount": eur("400.01")}, 409, "mdf-budget-exceeded"
    )
    assert problem["unallocated"] == eur("400.00")
    await created(client, path, {"partner_id": str(uuid4()), "amount": eur("400.00")})


async def test_a_partner_gets_one_allocation_per_budget(client: httpx.AsyncClient, db: AsyncSession) -> None:
    budget = await created(client, "/v1/mdf/budgets", budget_body("1000.00"))
    path = f"/v1/mdf/budgets/{budget['id']}/allocations"
    partner = str(uuid4())
    await created(client, path, {"partner_id": partner, "amount": eur("100.00")})

    await _refused(
        client, db, path, {"partner_id": partner, "amount": eur("1.00")}, 409, "mdf-already-allocated"
    )


async def test_pending_and_approved_requests_never_exceed_the_allocation(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    allocation = await an_allocation(client, uuid4(), allocated="3000.00")
    approved = await created(client, "/v1/mdf/requests", request_body(allocation["id"], "1000.00"))
    await decided(client, f"/v1/mdf/requests/{approved['id']}/decision")
    await created(client, "/v1/mdf/requests", request_body(allocation["id"], "1500.00"))

    # 3000.00 - 1000.00 (approved) - 1500.00 (pending) = 500.00
    problem = await _refused(
        client,
        db,
        "/v1/mdf/requests",
        request_body(allocation["id"], "500.01"),
        409,
        "mdf-allocation-exceeded",
    )
    assert problem["remaining"] == eur("500.00")
    await created(client, "/v1/mdf/requests", request_body(allocation["id"], "500.00"))


async def test_claims_never_exceed_the_approved_request(client: httpx.AsyncClient, db: AsyncSession) -> None:
    request = await an_approved_request(client, uuid4(), planned="1000.00")
    path = f"/v1/mdf/requests/{request['id']}/claims"
    await created(client, path, claim_body("700.00"))

    # 1000.00 - 700.00 = 300.00
    problem = await _refused(client, db, path, claim_body("300.01"), 409, "mdf-request-exceeded")
    assert problem["unclaimed"] == eur("300.00")


async def test_only_an_approved_request_is_claimed(client: httpx.AsyncClient, db: AsyncSession) -> None:
    allocation = await an_allocation(client, uuid4())
    pending = await created(client, "/v1/mdf/requests", request_body(allocation["id"]))

    await _refused(
        client, db, f"/v1/mdf/requests/{pending['id']}/claims", claim_body("1.00"), 409, "mdf-wrong-state"
    )


async def test_deciding_twice_and_paying_twice_are_conflicts(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    request = await an_approved_request(client, uuid4())
    await _refused(
        client,
        db,
        f"/v1/mdf/requests/{request['id']}/decision",
        {"decision": "approved"},
        409,
        "mdf-already-decided",
    )
    claim = await created(client, f"/v1/mdf/requests/{request['id']}/claims", claim_body("10.00"))
    pay = f"/v1/mdf/claims/{claim['id']}/payment"
    await _refused(client, db, pay, {"payment_reference": "X"}, 409, "mdf-wrong-state")  # not approved yet
    await decided(client, f"/v1/mdf/claims/{claim['id']}/decision")
    await _refused(
        client,
        db,
        f"/v1/mdf/claims/{claim['id']}/decision",
        {"decision": "rejected", "reason": "no"},
        409,
        "mdf-already-decided",
    )
    assert (await client.post(pay, json={"payment_reference": "X"})).status_code == 200
    await _refused(client, db, pay, {"payment_reference": "X"}, 409, "mdf-wrong-state")


async def test_a_stale_if_match_on_a_decision_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    allocation = await an_allocation(client, uuid4())
    request = await created(client, "/v1/mdf/requests", request_body(allocation["id"]))
    before = await stored_counts(db)

    answer = await client.post(
        f"/v1/mdf/requests/{request['id']}/decision",
        json={"decision": "approved"},
        headers={"If-Match": '"7"'},
    )

    assert answer.status_code == 412
    assert await stored_counts(db) == before


BAD_REQUESTS = {
    "negative amount": ({"planned_amount": eur("-5.00")}, 422, "validation-error"),
    "zero amount": ({"planned_amount": eur("0.00")}, 422, "validation-error"),
    "float amount": ({"planned_amount": {"amount": 100.5, "currency": "EUR"}}, 422, "validation-error"),
    "another currency": ({"planned_amount": eur("100.00", "USD")}, 422, "mdf-currency-mismatch"),
    "finer than cents": ({"planned_amount": eur("100.005")}, 422, "mdf-amount-precision"),
    "dates reversed": ({"starts_on": "2026-08-01", "ends_on": "2026-07-31"}, 422, "validation-error"),
    "date not ISO": ({"starts_on": "01/07/2026"}, 422, "validation-error"),
    # 4.0 is an integer to JSON Schema, and taken (prm_contracts.counts); a fraction or text is not
    "leads as a fraction": ({"expected_roi": {"leads": 4.5}}, 422, "validation-error"),
    "leads as text": ({"expected_roi": {"leads": "4"}}, 422, "validation-error"),
    "negative pipeline": ({"expected_roi": {"pipeline": eur("-1.00")}}, 422, "validation-error"),
    "unknown field": ({"budget": "x"}, 422, "validation-error"),
    "activity blank": ({"activity": "  "}, 422, "validation-error"),
}


@pytest.mark.parametrize(("change", "status", "slug"), BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
async def test_a_bad_request_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any], status: int, slug: str
) -> None:
    allocation = await an_allocation(client, uuid4())

    await _refused(client, db, "/v1/mdf/requests", request_body(allocation["id"]) | change, status, slug)


async def test_an_unknown_allocation_is_404(client: httpx.AsyncClient, db: AsyncSession) -> None:
    await _refused(client, db, "/v1/mdf/requests", request_body(str(uuid4())), 404, "not-found")


BAD_BUDGETS = {
    "negative": ({"amount": eur("-1.00")}, 422, "validation-error"),
    "float": ({"amount": {"amount": 1000.0, "currency": "EUR"}}, 422, "validation-error"),
    "amount as number": ({"amount": 1000}, 422, "validation-error"),
    "yen with cents": ({"amount": eur("1000.50", "JPY")}, 422, "mdf-amount-precision"),
    "bad period": ({"period": "2026-13"}, 422, "validation-error"),
    "unknown programme": ({"programme_id": str(uuid4())}, 404, "not-found"),
}


@pytest.mark.parametrize(("change", "status", "slug"), BAD_BUDGETS.values(), ids=BAD_BUDGETS.keys())
async def test_a_bad_budget_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any], status: int, slug: str
) -> None:
    await _refused(client, db, "/v1/mdf/budgets", budget_body() | change, status, slug)


async def test_claims_and_allocations_in_another_currency_are_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    request = await an_approved_request(client, uuid4())
    budget = await created(client, "/v1/mdf/budgets", budget_body())

    await _refused(
        client,
        db,
        f"/v1/mdf/requests/{request['id']}/claims",
        claim_body() | {"amount": eur("5.00", "GBP")},
        422,
        "mdf-currency-mismatch",
    )
    await _refused(
        client,
        db,
        f"/v1/mdf/budgets/{budget['id']}/allocations",
        {"partner_id": str(uuid4()), "amount": eur("5", "GBP")},
        422,
        "mdf-currency-mismatch",
    )
    await _refused(
        client, db, f"/v1/mdf/requests/{request['id']}/claims", claim_body("-1.00"), 422, "validation-error"
    )


async def test_a_rejection_without_a_reason_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    allocation = await an_allocation(client, uuid4())
    request = await created(client, "/v1/mdf/requests", request_body(allocation["id"]))

    await _refused(
        client,
        db,
        f"/v1/mdf/requests/{request['id']}/decision",
        {"decision": "rejected"},
        422,
        "validation-error",
    )

"""MDF accrued by approved calculation runs adds to the partner's allocation, once per run."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from incentives.mdf.accrual import AccrualChanged, accrue
from incentives.mdf.models import MdfAccrual
from prm_contracts.money import Money
from sqlalchemy.ext.asyncio import AsyncSession

from .helpers import budget_body, created, eur, request_body

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 10, 2, 8, tzinfo=UTC)


def money(amount: str, currency: str = "EUR") -> Money:
    return Money.model_validate({"amount": amount, "currency": currency})


async def test_an_accrual_adds_to_the_partners_allocation_in_the_covering_budget(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid4()
    budget = await created(client, "/v1/mdf/budgets", budget_body("5000.00", period="2027"))
    allocation = await created(
        client,
        f"/v1/mdf/budgets/{budget['id']}/allocations",
        {"partner_id": str(partner), "amount": eur("100.00")},
    )

    await accrue(db, partner, "2027-03", money("250.40"), uuid4(), now=NOW)  # a month of the year 2027

    after = (await client.get(f"/v1/mdf/allocations/{allocation['id']}")).json()
    # 100.00 allocated + 250.40 accrued = 350.40 available
    assert (after["accrued"], after["available"], after["remaining"]) == (
        eur("250.40"),
        eur("350.40"),
        eur("350.40"),
    )
    # accruals do not count against the budget: still 5000.00 - 100.00 unallocated
    assert (await client.get(f"/v1/mdf/budgets/{budget['id']}")).json()["unallocated"] == eur("4900.00")
    request = await client.post("/v1/mdf/requests", json=request_body(allocation["id"], "350.40"))
    assert request.status_code == 201, request.text


async def test_accruing_twice_for_one_run_counts_once(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner, run = uuid4(), uuid4()

    first = await accrue(db, partner, "2028-Q1", money("80.00"), run, now=NOW)
    again = await accrue(db, partner, "2028-Q1", money("80.00"), run, now=NOW)
    other_run = await accrue(db, partner, "2028-Q1", money("20.00"), uuid4(), now=NOW)

    assert first is not None
    assert again is not None
    assert other_run is not None
    assert again.id == first.id
    allocations = (await client.get("/v1/mdf/allocations", params={"partner_id": str(partner)})).json()[
        "items"
    ]
    # no budget covered 2028-Q1: one was opened with 0 funded; 80.00 + 20.00 accrued
    assert [(a["period"], a["allocated"], a["accrued"]) for a in allocations] == [
        ("2028-Q1", eur("0.00"), eur("100.00"))
    ]
    with pytest.raises(AccrualChanged):
        await accrue(db, partner, "2028-Q1", money("81.00"), run, now=NOW)


async def test_the_programmes_own_budget_comes_before_an_independent_one(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    programme = await created(
        client,
        "/v1/programmes",
        {
            "name": f"Rebates {uuid4().hex[:6]}",
            "currency": "EUR",
            "period_type": "quarter",
            "version": {
                "effective_from": "2029-01-01",
                "basis": "invoiced",
                "rules": [{"kind": "mdf_accrual", "rate": "0.01"}],
            },
        },
    )
    programme_id = UUID(programme["programme_id"])
    await created(client, "/v1/mdf/budgets", budget_body("100.00", period="2029-Q2"))
    own = await created(
        client, "/v1/mdf/budgets", budget_body("100.00", period="2029", programme_id=str(programme_id))
    )
    partner = uuid4()

    accrual = await accrue(db, partner, "2029-Q2", money("5.00"), uuid4(), now=NOW, programme_id=programme_id)

    assert accrual is not None
    allocations = (await client.get("/v1/mdf/allocations", params={"partner_id": str(partner)})).json()[
        "items"
    ]
    assert [(a["budget_id"], a["accrued"]) for a in allocations] == [(own["id"], eur("5.00"))]


async def test_nothing_is_stored_for_a_zero_accrual(db: AsyncSession) -> None:
    assert await accrue(db, uuid4(), "2026-Q3", money("0.00"), uuid4(), now=NOW) is None
    assert await db.scalar(sa.select(sa.func.count()).select_from(MdfAccrual)) == 0

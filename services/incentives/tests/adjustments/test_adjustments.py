"""Manual adjustments surviving re-runs, refused on closed periods and decided payouts and for partners that do
not exist (as MDF allocations are); clawbacks of returns of paid lines at the
rate originally paid; deltas of closed periods computed again, carried once into the next run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from fastapi import FastAPI
from incentives.adjustments.models import Adjustment
from incentives.replica.models import SalesLine
from prm_contracts.clients.registry import RegistryClient
from sqlalchemy.ext.asyncio import AsyncSession

from ..calculation_runs.helpers import a_line, a_partner, a_programme, a_run, payout_lines, payouts, rebate
from ..mdf.helpers import budget_body, eur, stored_counts
from ..replica.factories import FakeRegistry

pytestmark = pytest.mark.asyncio


async def _adjustments(db: AsyncSession) -> int:
    return await db.scalar(sa.select(sa.func.count()).select_from(Adjustment)) or 0


async def _close(client: httpx.AsyncClient, run: dict[str, Any]) -> None:
    assert (await client.post(f"/v1/calculation-runs/{run['id']}/approval")).status_code == 200
    assert (await client.post(f"/v1/calculation-runs/{run['id']}/payment")).status_code == 200


def _body(programme: dict[str, Any], partner: UUID, amount: Any, **fields: Any) -> dict[str, Any]:
    return {
        "programme_id": programme["programme_id"],
        "partner_id": str(partner),
        "period": "2026-Q2",
        "amount": {"amount": amount, "currency": "EUR"},
        "reason": "marketing event co-funded",
    } | fields


async def test_a_manual_adjustment_survives_re_runs_and_a_closed_period_refuses_one(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    await a_line(db, anna, "1000.00", on=date(2026, 1, 10))
    await a_line(db, anna, "300.00", on=date(2026, 4, 10))
    programme = await a_programme(client, rebate("0.05"))
    await _close(client, await a_run(client, programme))
    q2 = await a_run(client, programme, "2026-Q2")  # 300 * 5 % = 15.00

    added = await client.post("/v1/adjustments", json=_body(programme, anna, "12.34"))

    assert added.status_code == 201, added.text
    assert (await payouts(client, q2))[str(anna)]["amount"]["amount"] == "27.34"  # the draft at once
    rerun = await a_run(client, programme, "2026-Q2")
    paid = (await payouts(client, rerun))[str(anna)]
    # 15.00 calculated + 12.34 adjusted = 27.34; the trace still sums to the calculated 15.00
    assert paid["amount"]["amount"] == "27.34"
    assert rerun["totals"]["payout"]["amount"] == "27.34"
    assert sum(Decimal(line["payout"]) for line in await payout_lines(client, rerun["id"], anna)) == Decimal(
        "15"
    )
    statement = (await client.get(f"/v1/statements/{anna}/2026-Q2")).json()
    section = statement["programmes"][0]
    assert (section["calculated"]["amount"], section["amount"]["amount"]) == ("15.00", "27.34")
    assert [a["reason"] for a in section["adjustments"]] == ["marketing event co-funded"]

    before = await _adjustments(db)
    closed = await client.post("/v1/adjustments", json=_body(programme, anna, "1.00", period="2026-Q1"))
    other_currency = await client.post(
        "/v1/adjustments",
        json=_body(programme, anna, "1.00") | {"amount": {"amount": "1.00", "currency": "USD"}},
    )
    a_float = await client.post("/v1/adjustments", json=_body(programme, anna, 1.5))
    too_fine = await client.post("/v1/adjustments", json=_body(programme, anna, "0.001"))
    # valid alone, but the payout it is added to (27.34) would pass what its column keeps exactly (10^15, and
    # 922,337,203,685,477.5807 on SQLite): a 422, never a 500 or a rounded total
    too_large = await client.post("/v1/adjustments", json=_body(programme, anna, "999999999999999.00"))

    assert closed.status_code == 409
    assert closed.json()["type"].endswith("/period-closed")
    assert other_currency.status_code == 422
    assert other_currency.json()["type"].endswith("/adjustment-currency")
    assert a_float.status_code == 422
    assert too_fine.status_code == 422
    assert too_large.status_code == 422, too_large.text
    assert [issue["type"] for issue in too_large.json()["errors"]] == ["number_out_of_range"]
    assert await _adjustments(db) == before
    assert (await payouts(client, rerun))[str(anna)]["amount"]["amount"] == "27.34"


async def test_a_return_of_a_paid_sale_is_clawed_back_at_the_rate_paid_in_the_next_run(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    sale = await a_line(db, anna, "1000.00", on=date(2026, 2, 10))
    volume_bonus = {
        "kind": "volume_bonus",
        "mode": "whole_band",
        "bands": [{"from": "0", "to": "500", "rate": "0.01"}, {"from": "500", "rate": "0.03"}],
    }
    programme = await a_programme(client, rebate("0.05"), volume_bonus)
    q1 = await a_run(client, programme)
    # Q1: 1,000 * 5 % + 1,000 * 3 % (whole band 500+) = 80.00, an effective rate of 8 %
    assert (await payouts(client, q1))[str(anna)]["amount"]["amount"] == "80.00"
    await _close(client, q1)
    original = await db.get(SalesLine, sale)
    assert original is not None
    returned = await a_line(db, anna, "200.00", kind="return", on=date(2026, 4, 15))
    await db.execute(
        sa.update(SalesLine).where(SalesLine.id == returned).values(original_external_id=original.external_id)
    )
    await a_line(db, anna, "400.00", on=date(2026, 4, 20))

    q2 = await a_run(client, programme, "2026-Q2")

    paid = (await payouts(client, q2))[str(anna)]
    # clawback -(200 * 8 %) = -16.00; Q2's volume is 400 without the return (taken back already):
    # 400 * 5 % + 400 * 1 % (band 0-500) = 24.00; payout 24.00 - 16.00 = 8.00
    assert Decimal(paid["volume"]) == Decimal("400")
    assert paid["amount"]["amount"] == "8.00"
    listed = (await client.get("/v1/adjustments", params={"period": "2026-Q2"})).json()["items"]
    assert [(a["kind"], a["amount"]["amount"]) for a in listed] == [("clawback", "-16.00")]
    assert (listed[0]["source_line_id"], listed[0]["original_line_id"]) == (str(returned), str(sale))
    assert listed[0]["source_run_id"] == q1["id"]
    assert sum(Decimal(line["payout"]) for line in await payout_lines(client, q2["id"], anna)) == Decimal(
        "24"
    )
    again = await a_run(client, programme, "2026-Q2")
    assert (await payouts(client, again))[str(anna)]["amount"]["amount"] == "8.00"  # not taken twice
    assert (await payouts(client, q1))[str(anna)]["amount"]["amount"] == "80.00"  # the paid period stands


async def test_a_late_sale_in_a_closed_period_becomes_a_delta_carried_once(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    await a_line(db, anna, "1000.00", on=date(2026, 2, 10))
    programme = await a_programme(client, rebate("0.05"))
    q1 = await a_run(client, programme)
    await _close(client, q1)  # 50.00 paid
    await a_line(db, anna, "400.00", on=date(2026, 3, 5))  # arrives after Q1 was paid

    q2 = await a_run(client, programme, "2026-Q2")

    # Q1 again: 1,400 * 5 % = 70.00; 50.00 was paid: delta +20.00, alone in Q2 (no Q2 sales)
    paid = (await payouts(client, q2))[str(anna)]
    assert (paid["amount"]["amount"], paid["volume"]) == ("20.00", "0")
    deltas = (await client.get("/v1/adjustments", params={"period": "2026-Q2"})).json()["items"]
    assert [(a["kind"], a["amount"]["amount"], a["source_run_id"]) for a in deltas] == [
        ("delta", "20.00", q1["id"])
    ]
    assert "2026-Q1" in deltas[0]["reason"]
    await _close(client, q2)
    q3 = await a_run(client, programme, "2026-Q3")
    assert q3["totals"]["payout"]["amount"] == "0.00"  # 50 paid + 20 carried = 70: nothing more


async def test_an_adjustment_leaves_a_decided_payout_alone_and_changes_a_pending_one(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna, ben, cleo = await a_partner(db), await a_partner(db), await a_partner(db)
    for partner in (anna, ben, cleo):
        await a_line(db, partner, "100.00", on=date(2026, 4, 10))
    programme = await a_programme(client, rebate("0.1"))
    draft = await a_run(client, programme, "2026-Q2")  # 100 * 10 % = 10.00 each, 30.00 in all
    decisions = f"/v1/calculation-runs/{draft['id']}/payouts"
    assert (await client.post(f"{decisions}/{anna}/approval")).status_code == 200
    held = await client.post(f"{decisions}/{ben}/hold", json={"reason": "contract under review"})
    assert held.status_code == 200
    before = await _adjustments(db)

    approved = await client.post("/v1/adjustments", json=_body(programme, anna, "1000.00"))
    on_hold = await client.post("/v1/adjustments", json=_body(programme, ben, "5.00"))

    for refused, status in ((approved, "approved"), (on_hold, "held")):
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"].endswith("/payout-decided")
        assert status in refused.json()["detail"]
    assert "release" in on_hold.json()["detail"]  # what the caller can do
    assert await _adjustments(db) == before
    listed = await payouts(client, draft)
    assert [listed[str(p)]["amount"]["amount"] for p in (anna, ben)] == ["10.00", "10.00"]
    run = (await client.get(f"/v1/calculation-runs/{draft['id']}")).json()
    assert run["totals"]["payout"]["amount"] == "30.00"

    pending = await client.post("/v1/adjustments", json=_body(programme, cleo, "2.50"))

    assert pending.status_code == 201, pending.text
    assert (await payouts(client, draft))[str(cleo)]["amount"]["amount"] == "12.50"  # 10.00 + 2.50
    run = (await client.get(f"/v1/calculation-runs/{draft['id']}")).json()
    assert run["totals"]["payout"]["amount"] == "32.50"


@pytest_asyncio.fixture(loop_scope="session")
async def registry(app: FastAPI) -> AsyncIterator[FakeRegistry]:
    """A registry knowing only the partners a test adds to `known` (the app's state is restored after)."""
    fake = FakeRegistry(known=set())
    async with httpx.AsyncClient(transport=fake.transport(), base_url="http://registry") as http:
        app.state.registry = RegistryClient(http)
        yield fake


async def test_money_goes_only_to_partners_that_exist_even_before_the_replica_hears_of_them(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    replicated, just_created, made_up = await a_partner(db), uuid4(), uuid4()
    registry.known.add(just_created)  # created in the registry; its partner.created is still on its way
    await a_line(db, replicated, "100.00", on=date(2026, 4, 10))
    programme = await a_programme(client, rebate("0.1"))
    draft = await a_run(client, programme, "2026-Q2")
    budget = (await client.post("/v1/mdf/budgets", json=budget_body("1000.00"))).json()
    allocations = f"/v1/mdf/budgets/{budget['id']}/allocations"
    before = await stored_counts(db)

    unknown = await client.post("/v1/adjustments", json=_body(programme, made_up, "5.00"))
    unknown_allocation = await client.post(
        allocations, json={"partner_id": str(made_up), "amount": eur("5.00")}
    )
    registry.down = True
    unconfirmed = await client.post("/v1/adjustments", json=_body(programme, made_up, "5.00"))
    unconfirmed_allocation = await client.post(
        allocations, json={"partner_id": str(made_up), "amount": eur("5.00")}
    )

    assert (unknown.status_code, unknown_allocation.status_code) == (404, 404)
    assert str(made_up) in unknown.json()["detail"]
    for answer in (unconfirmed, unconfirmed_allocation):
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "5"
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert await stored_counts(db) == before
    assert str(made_up) not in await payouts(client, draft)

    # the replica's partner needs no registry at all; the one only the registry knows yet is not refused
    known = await client.post("/v1/adjustments", json=_body(programme, replicated, "1.00"))
    known_allocation = await client.post(
        allocations, json={"partner_id": str(replicated), "amount": eur("5.00")}
    )
    registry.down = False
    fresh = await client.post("/v1/adjustments", json=_body(programme, just_created, "2.00"))
    fresh_allocation = await client.post(
        allocations, json={"partner_id": str(just_created), "amount": eur("7.00")}
    )

    assert [a.status_code for a in (known, known_allocation, fresh, fresh_allocation)] == [201] * 4
    assert replicated not in registry.asked
    listed = await payouts(client, draft)
    # 10.00 + 1.00; the new partner's payout is its adjustment alone
    assert (listed[str(replicated)]["amount"]["amount"], listed[str(just_created)]["amount"]["amount"]) == (
        "11.00",
        "2.00",
    )
    left = (await client.get(f"/v1/mdf/budgets/{budget['id']}")).json()
    assert left["unallocated"] == eur("988.00")  # 1,000.00 - 5.00 - 7.00

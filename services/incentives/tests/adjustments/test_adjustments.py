"""Manual adjustments surviving re-runs, refused on closed periods; clawbacks of returns of paid lines at the
rate originally paid; deltas of closed periods computed again, carried once into the next run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from incentives.adjustments.models import Adjustment
from incentives.replica.models import SalesLine
from sqlalchemy.ext.asyncio import AsyncSession

from ..calculation_runs.helpers import a_line, a_partner, a_programme, a_run, payout_lines, payouts, rebate

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

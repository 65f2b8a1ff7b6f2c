"""A run's decisions per partner: approve some payouts, hold one with a reason, the run approved when none is
pending, `payout.approved` / `statement.published` in the outbox, MDF accrued once, paid with who/when."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from incentives.calculation_runs.models import CalculationRun
from incentives.calculation_runs.repository import RunRaced, add
from incentives.mdf.models import MdfAccrual
from prm_kit.outbox import outbox_event
from sqlalchemy.ext.asyncio import AsyncSession

from .helpers import a_line, a_partner, a_programme, a_run, rebate

pytestmark = pytest.mark.asyncio

MDF = {"kind": "mdf_accrual", "rate": "0.01"}


async def _events(db: AsyncSession, kind: str) -> list[dict[str, Any]]:
    rows = await db.scalars(sa.select(outbox_event.c.payload).where(outbox_event.c.type == kind))
    return [row["data"] for row in rows.all()]


async def test_partial_approval_hold_and_release_then_payment(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna, ben = await a_partner(db), await a_partner(db)
    await a_line(db, anna, "1000.00")
    await a_line(db, ben, "2000.00")
    programme = await a_programme(client, rebate("0.05"), MDF)
    run = await a_run(client, programme)
    base = f"/v1/calculation-runs/{run['id']}/payouts"

    first = await client.post(f"{base}/{anna}/approval")
    assert first.status_code == 200, first.text
    # anna: 1,000 * 5 % = 50.00; the run stays a draft while ben is pending
    assert first.json()["status"] == "approved"
    assert first.json()["amount"] == {"amount": "50.00", "currency": "EUR"}
    assert first.json()["run_status"] == "draft"
    assert (await client.post(f"{base}/{anna}/approval")).status_code == 409
    assert (await client.post(f"{base}/{ben}/hold", json={"reason": "  "})).status_code == 422

    held = await client.post(f"{base}/{ben}/hold", json={"reason": "bank details missing"})

    assert held.status_code == 200, held.text
    assert (held.json()["status"], held.json()["hold_reason"]) == ("held", "bank details missing")
    assert held.json()["run_status"] == "approved"  # nothing pending any more
    approved = await _events(db, "payout.approved")
    assert [(e["partner_id"], e["amount"]["amount"]) for e in approved] == [(str(anna), "50.00")]
    published = await _events(db, "statement.published")
    assert {e["partner_id"] for e in published} == {str(anna), str(ben)}
    # MDF: anna 1,000 * 1 % = 10.00 accrued once; ben's held payout accrues nothing yet
    accruals = (
        await db.scalars(sa.select(MdfAccrual).where(MdfAccrual.source_run_id == UUID(run["id"])))
    ).all()
    assert [(a.partner_id, a.amount) for a in accruals] == [(anna, Decimal("10.00"))]
    assert (await client.post(f"/v1/calculation-runs/{run['id']}/approval")).status_code == 409

    released = await client.post(f"{base}/{ben}/release")
    assert released.json()["status"] == "approved"  # the run is approved: released means approved
    paid = await client.post(f"/v1/calculation-runs/{run['id']}/payment")

    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    assert paid.json()["paid_by"]
    assert paid.json()["paid_at"]
    rows = (await client.get("/v1/payables", params={"period": "2026-Q1"})).json()
    # ben 2,000 * 5 % = 100.00, paid after its release
    assert {(r["partner_id"], r["paid"]) for r in rows} == {(str(anna), "50.00"), (str(ben), "100.00")}
    assert len(await _events(db, "payout.approved")) == 2
    assert (await client.post(f"{base}/{ben}/release")).status_code == 409


async def test_whole_run_approval_approves_pending_payouts_and_keeps_holds(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna, ben = await a_partner(db), await a_partner(db)
    await a_line(db, anna, "100.00")
    await a_line(db, ben, "100.00")
    run = await a_run(client, await a_programme(client, rebate("0.10")))
    base = f"/v1/calculation-runs/{run['id']}/payouts"
    await client.post(f"{base}/{ben}/hold", json={"reason": "under review"})
    rerun = await client.post(
        "/v1/calculation-runs", json={"programme_id": run["programme_id"], "period": "2026-Q1"}
    )
    assert rerun.status_code == 409  # a decision would be lost

    approved = await client.post(f"/v1/calculation-runs/{run['id']}/approval")
    paid = await client.post(f"/v1/calculation-runs/{run['id']}/payment")

    assert (approved.status_code, paid.status_code) == (200, 200)
    assert [e["partner_id"] for e in await _events(db, "payout.approved")] == [str(anna)]
    payables = (await client.get("/v1/payables", params={"period": "2026-Q1"})).json()
    mine = {row["partner_id"]: row for row in payables}
    # 100 * 10 % = 10.00 each: anna paid, ben on hold
    assert (mine[str(anna)]["paid"], mine[str(anna)]["on_hold"]) == ("10.00", "0.00")
    assert (mine[str(ben)]["paid"], mine[str(ben)]["on_hold"], mine[str(ben)]["earned"]) == (
        "0.00",
        "10.00",
        "10.00",
    )


async def test_a_second_first_run_of_a_period_is_a_409_not_a_500(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(db)
    await a_line(db, partner, "100.00")
    run = await a_run(client, await a_programme(client))
    stored = await db.get(CalculationRun, UUID(run["id"]))
    assert stored is not None
    twin = CalculationRun(**{c.key: getattr(stored, c.key) for c in CalculationRun.__table__.columns})
    twin.id = uuid4()
    db.expunge(stored)

    with pytest.raises(RunRaced):
        await add(db, twin)  # what the loser of two concurrent first runs meets at its insert

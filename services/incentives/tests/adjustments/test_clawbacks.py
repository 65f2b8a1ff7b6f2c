"""Clawbacks reverse what was paid for the returned sale: the run that paid it (on the paid basis, the run of
the day it was paid), at the rate that run paid; nothing when no run paid it (held by a flag, excluded by
eligibility, inside its hold window): such a return is a plain return of its own period."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from incentives.replica.models import SalesLine
from sqlalchemy.ext.asyncio import AsyncSession

from ..calculation_runs.helpers import a_line, a_partner, a_programme, a_run, payouts, rebate

pytestmark = pytest.mark.asyncio

# whole band: 1 % on a volume below 500, 3 % from 500; with a 5 % rebate a partner's effective rate is 6 %
# below 500 and 8 % from 500, so runs of different volumes pay a sale at different rates
BANDS = {
    "kind": "volume_bonus",
    "mode": "whole_band",
    "bands": [{"from": "0", "to": "500", "rate": "0.01"}, {"from": "500", "rate": "0.03"}],
}


async def _close(client: httpx.AsyncClient, run: dict[str, Any]) -> None:
    assert (await client.post(f"/v1/calculation-runs/{run['id']}/approval")).status_code == 200
    assert (await client.post(f"/v1/calculation-runs/{run['id']}/payment")).status_code == 200


async def _return_of(db: AsyncSession, sale: UUID, amount: str, **line: Any) -> UUID:
    """A return of `amount` naming `sale` as its original."""
    original = await db.get(SalesLine, sale)
    assert original is not None
    returned = await a_line(db, original.partner_id, amount, kind="return", sku=original.product_sku, **line)
    await db.execute(
        sa.update(SalesLine).where(SalesLine.id == returned).values(original_external_id=original.external_id)
    )
    return returned


def _after(run: dict[str, Any]) -> datetime:
    """A moment after the run read the replica (its lines recorded later are not its)."""
    return datetime.fromisoformat(run["computed_at"]) + timedelta(microseconds=1)


async def _corrections(client: httpx.AsyncClient, period: str) -> list[tuple[str, str, str | None]]:
    listed = (await client.get("/v1/adjustments", params={"period": period})).json()["items"]
    return [(a["kind"], a["amount"]["amount"], a["source_run_id"]) for a in listed]


async def test_a_paid_basis_return_is_clawed_back_at_the_rate_of_the_run_that_paid_the_sale(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    await a_line(db, anna, "100.00", on=date(2026, 2, 1), payment_status="paid", paid_on=date(2026, 2, 5))
    sale = await a_line(
        db, anna, "1000.00", on=date(2026, 2, 10), payment_status="paid", paid_on=date(2026, 5, 10)
    )
    programme = await a_programme(client, rebate("0.05"), BANDS, basis="paid")
    q1 = await a_run(client, programme)
    # Q1 pays only the line paid in Q1: 100 * 5 % + 100 * 1 % = 6.00 (6 %); the sale of Feb 10 is not in it
    assert (await payouts(client, q1))[str(anna)]["amount"]["amount"] == "6.00"
    await _close(client, q1)
    q2 = await a_run(client, programme, "2026-Q2")
    # Q2 pays the sale, paid on May 10: 1,000 * 5 % + 1,000 * 3 % = 80.00 (8 %)
    assert (await payouts(client, q2))[str(anna)]["amount"]["amount"] == "80.00"
    await _close(client, q2)
    returned = await _return_of(
        db, sale, "200.00", on=date(2026, 7, 15), payment_status="paid", paid_on=date(2026, 7, 15)
    )
    await a_line(db, anna, "400.00", on=date(2026, 7, 20), payment_status="paid", paid_on=date(2026, 7, 20))

    q3 = await a_run(client, programme, "2026-Q3")

    # the rate Q2 paid, not Q1's 6 % (Q1 holds the sale's day, not its payment): -(200 * 8 %) = -16.00
    assert await _corrections(client, "2026-Q3") == [("clawback", "-16.00", q2["id"])]
    paid = (await payouts(client, q3))[str(anna)]
    # Q3 without the clawed return: 400 * 5 % + 400 * 1 % = 24.00; 24.00 - 16.00 = 8.00
    assert (Decimal(paid["volume"]), paid["amount"]["amount"]) == (Decimal("400"), "8.00")
    listed = (await client.get("/v1/adjustments", params={"period": "2026-Q3"})).json()["items"]
    assert (listed[0]["source_line_id"], listed[0]["original_line_id"]) == (str(returned), str(sale))


async def test_a_paid_basis_return_is_clawed_back_though_no_run_covers_the_day_of_the_sale(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    # sold before the programme began, paid after: the programme paid it, no run of it holds Mar 20
    sale = await a_line(
        db, anna, "1000.00", on=date(2026, 3, 20), payment_status="paid", paid_on=date(2026, 4, 10)
    )
    programme = await a_programme(client, rebate("0.05"), BANDS, basis="paid", effective_from="2026-04-01")
    q2 = await a_run(client, programme, "2026-Q2")
    assert (await payouts(client, q2))[str(anna)]["amount"]["amount"] == "80.00"  # 1,000 * (5 % + 3 %)
    await _close(client, q2)
    await _return_of(
        db, sale, "200.00", on=date(2026, 7, 15), payment_status="paid", paid_on=date(2026, 7, 15)
    )
    await a_line(db, anna, "400.00", on=date(2026, 7, 20), payment_status="paid", paid_on=date(2026, 7, 20))

    q3 = await a_run(client, programme, "2026-Q3")

    # -(200 * 8 %) = -16.00 from Q2; not the return counted at Q3's rates ((400 - 200) * 6 % = 12.00)
    assert await _corrections(client, "2026-Q3") == [("clawback", "-16.00", q2["id"])]
    paid = (await payouts(client, q3))[str(anna)]
    # 400 * 6 % = 24.00 - 16.00 = 8.00
    assert (Decimal(paid["volume"]), paid["amount"]["amount"]) == (Decimal("400"), "8.00")


async def test_a_return_of_a_sale_a_flag_held_claws_nothing_back_and_nets_when_the_sale_is_paid(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    sale = await a_line(db, anna, "1000.00", on=date(2026, 2, 10), flag_status="open")
    await a_line(db, anna, "600.00", on=date(2026, 2, 12))
    programme = await a_programme(client, rebate("0.05"))
    q1 = await a_run(client, programme)
    # the flagged sale is held, never paid: 600 * 5 % = 30.00
    assert (await payouts(client, q1))[str(anna)]["amount"]["amount"] == "30.00"
    await _close(client, q1)
    await _return_of(db, sale, "200.00", on=date(2026, 4, 15))
    await a_line(db, anna, "400.00", on=date(2026, 4, 20))

    q2 = await a_run(client, programme, "2026-Q2")

    # nothing was paid for the sale: nothing is clawed back (not -(200 * 5 %) = -10.00); the return is a plain
    # return of Q2, netted against the sale when a later delta pays it: (400 - 200) * 5 % = 10.00
    assert await _corrections(client, "2026-Q2") == []
    paid = (await payouts(client, q2))[str(anna)]
    assert (Decimal(paid["volume"]), paid["amount"]["amount"]) == (Decimal("200"), "10.00")
    await _close(client, q2)
    await db.execute(sa.update(SalesLine).where(SalesLine.id == sale).values(flag_status="dismissed"))

    q3 = await a_run(client, programme, "2026-Q3")

    # Q1 again with the flag dismissed: 1,600 * 5 % = 80.00 - 30.00 paid = +50.00; in all 30 + 10 + 50 = 90.00
    # = (1,000 + 600 + 400 - 200) * 5 %: the returned 200 was paid for by no one
    assert await _corrections(client, "2026-Q3") == [("delta", "50.00", q1["id"])]
    assert (await payouts(client, q3))[str(anna)]["amount"]["amount"] == "50.00"


async def test_a_return_of_a_sale_eligibility_excluded_claws_nothing_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    sale = await a_line(db, anna, "1000.00", on=date(2026, 2, 10), sku="SKU-EXCLUDED")
    await a_line(db, anna, "600.00", on=date(2026, 2, 12))
    programme = await a_programme(client, rebate("0.05"), eligibility={"skus_excluded": ["SKU-EXCLUDED"]})
    q1 = await a_run(client, programme)
    assert (await payouts(client, q1))[str(anna)]["amount"]["amount"] == "30.00"  # 600 * 5 %
    await _close(client, q1)
    await _return_of(db, sale, "200.00", on=date(2026, 4, 15))
    await a_line(db, anna, "400.00", on=date(2026, 4, 20))

    q2 = await a_run(client, programme, "2026-Q2")

    # the sale was never paid: nothing taken back (not -(200 * 5 %) = -10.00), and its return, of the excluded
    # SKU, counts no more than it did: 400 * 5 % = 20.00
    assert await _corrections(client, "2026-Q2") == []
    paid = (await payouts(client, q2))[str(anna)]
    assert (Decimal(paid["volume"]), paid["amount"]["amount"]) == (Decimal("400"), "20.00")


async def test_a_return_of_a_sale_inside_its_hold_window_claws_nothing_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    sale = await a_line(db, anna, "1000.00", on=date(2026, 3, 20))
    await a_line(db, anna, "600.00", on=date(2026, 2, 12))
    programme = await a_programme(client, rebate("0.05"), hold_days=30)
    q1 = await a_run(client, programme, as_of="2026-04-05")
    # Mar 20 + 30 days = Apr 19 > Apr 5: the sale is held; Feb 12 + 30 = Mar 14: paid. 600 * 5 % = 30.00
    assert (await payouts(client, q1))[str(anna)]["amount"]["amount"] == "30.00"
    await _close(client, q1)
    await _return_of(db, sale, "200.00", on=date(2026, 4, 10))
    await a_line(db, anna, "400.00", on=date(2026, 4, 20))

    q2 = await a_run(client, programme, "2026-Q2")

    # no clawback (not -(200 * 5 %) = -10.00); Q1 again at Dec 31, the hold over: 1,600 * 5 % = 80.00 - 30.00
    # = +50.00; Q2 nets the return: (400 - 200) * 5 % = 10.00; 60.00, and 30 + 60 = (1,800) * 5 % = 90.00
    assert await _corrections(client, "2026-Q2") == [("delta", "50.00", q1["id"])]
    paid = (await payouts(client, q2))[str(anna)]
    assert (Decimal(paid["volume"]), paid["amount"]["amount"]) == (Decimal("200"), "60.00")


async def test_a_return_of_a_sale_recorded_after_the_run_claws_nothing_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    await a_line(db, anna, "600.00", on=date(2026, 2, 12))
    programme = await a_programme(client, rebate("0.05"))
    q1 = await a_run(client, programme)
    assert (await payouts(client, q1))[str(anna)]["amount"]["amount"] == "30.00"  # 600 * 5 %
    await _close(client, q1)
    # a sale of Q1 that arrives after Q1 was paid: Q1 never paid it (a delta does, below)
    sale = await a_line(db, anna, "1000.00", on=date(2026, 2, 10), recorded_at=_after(q1))
    await _return_of(db, sale, "200.00", on=date(2026, 4, 15))

    q2 = await a_run(client, programme, "2026-Q2")

    # Q1 again: 1,600 * 5 % = 80.00 - 30.00 = +50.00; the return nets in Q2: -200 * 5 % = -10.00; 40.00
    assert await _corrections(client, "2026-Q2") == [("delta", "50.00", q1["id"])]
    paid = (await payouts(client, q2))[str(anna)]
    assert (Decimal(paid["volume"]), paid["amount"]["amount"]) == (Decimal("-200"), "40.00")

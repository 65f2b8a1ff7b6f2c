"""A return follows its sale: when the original sale (same partner, `original_external_id`) will never be paid,
because the programme's eligibility excludes it on its own day (tier, status or deal registration then) or the
anomaly guard confirmed its flag, the return does not reduce the partner's volume either. A return of a sale
that is paid, or may still be (held by an open flag or the hold window), nets as before."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
from incentives.replica.models import PartnerStatusPeriod, PartnerTierPeriod
from sqlalchemy.ext.asyncio import AsyncSession

from .helpers import (
    RECORDED,
    a_line,
    a_partner,
    a_programme,
    a_return_of,
    a_run,
    an_approved_deal,
    payout_lines,
    payouts,
    rebate,
)

pytestmark = pytest.mark.asyncio


async def _paid(client: httpx.AsyncClient, run: dict[str, Any], partner: UUID) -> tuple[Decimal, str]:
    """The partner's volume and payout, once its per-line trace (the reference calculator) agrees."""
    payout = (await payouts(client, run))[str(partner)]
    traced = await payout_lines(client, run["id"], partner)
    assert sum(Decimal(line["payout"]) for line in traced) == Decimal(payout["amount"]["amount"])
    return Decimal(payout["volume"]), payout["amount"]["amount"]


async def test_a_return_of_a_sale_whose_flag_was_confirmed_takes_nothing_from_the_volume(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    sale = await a_line(db, anna, "1000.00", on=date(2026, 2, 10), flag_status="confirmed")
    await a_line(db, anna, "600.00", on=date(2026, 2, 12))
    programme = await a_programme(client, rebate("0.05"))
    q1 = await a_run(client, programme)
    assert (await payouts(client, q1))[str(anna)]["amount"]["amount"] == "30.00"  # 600 * 5 %: never the sale
    await a_return_of(db, sale, "200.00", on=date(2026, 4, 15))
    await a_line(db, anna, "400.00", on=date(2026, 4, 20))

    q2 = await a_run(client, programme, "2026-Q2")

    # 400 * 5 % = 20.00, not (400 - 200) * 5 % = 10.00 for a sale that will never be paid
    assert await _paid(client, q2, anna) == (Decimal("400"), "20.00")


async def test_on_the_paid_basis_too(client: httpx.AsyncClient, db: AsyncSession) -> None:
    anna = await a_partner(db)
    sale = await a_line(
        db,
        anna,
        "1000.00",
        on=date(2026, 2, 10),
        payment_status="paid",
        paid_on=date(2026, 2, 20),
        flag_status="confirmed",
    )
    await a_return_of(
        db, sale, "200.00", on=date(2026, 4, 15), payment_status="paid", paid_on=date(2026, 4, 15)
    )
    await a_line(db, anna, "400.00", on=date(2026, 4, 20), payment_status="paid", paid_on=date(2026, 5, 2))
    programme = await a_programme(client, rebate("0.05"), basis="paid")

    q2 = await a_run(client, programme, "2026-Q2")

    assert await _paid(client, q2, anna) == (Decimal("400"), "20.00")  # 400 * 5 %


async def test_a_return_of_a_sale_made_in_a_tier_the_programme_excludes_takes_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db, tier="silver")
    db.add(PartnerTierPeriod(partner_id=anna, valid_from=date(2026, 3, 1), tier="gold", changed_at=RECORDED))
    silver_sale = await a_line(db, anna, "1000.00", on=date(2026, 2, 10))
    gold_sale = await a_line(db, anna, "500.00", on=date(2026, 3, 10))
    programme = await a_programme(client, rebate("0.05"), eligibility={"tiers": ["gold"]})
    q1 = await a_run(client, programme)
    assert (await payouts(client, q1))[str(anna)]["amount"]["amount"] == "25.00"  # 500 * 5 %: gold only
    await a_return_of(db, silver_sale, "200.00", on=date(2026, 4, 15))  # returned while gold
    await a_return_of(db, gold_sale, "100.00", on=date(2026, 4, 16))
    await a_line(db, anna, "400.00", on=date(2026, 4, 20))

    q2 = await a_run(client, programme, "2026-Q2")

    # the gold sale's return nets, the silver sale's does not: (400 - 100) * 5 % = 15.00, not 5.00
    assert await _paid(client, q2, anna) == (Decimal("300"), "15.00")


async def test_a_return_of_a_sale_made_while_not_active_takes_nothing_in_the_same_period(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db, status="suspended")
    db.add(PartnerStatusPeriod(partner_id=anna, valid_from=datetime(2026, 2, 1, tzinfo=UTC), status="active"))
    sale = await a_line(db, anna, "1000.00", on=date(2026, 1, 20))  # suspended: not paid
    await a_return_of(db, sale, "200.00", on=date(2026, 2, 10))  # active again
    await a_line(db, anna, "600.00", on=date(2026, 2, 12))
    programme = await a_programme(client, rebate("0.05"))

    q1 = await a_run(client, programme)

    assert await _paid(client, q1, anna) == (Decimal("600"), "30.00")  # 600 * 5 %, not 400 * 5 %


async def test_a_return_of_a_sale_registered_only_after_it_was_made_takes_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    deal = await an_approved_deal(db, anna, approved_on=date(2026, 2, 15))
    early = await a_line(db, anna, "1000.00", on=date(2026, 2, 10), deal_registration_id=deal)
    late = await a_line(db, anna, "800.00", on=date(2026, 2, 20), deal_registration_id=deal)
    await a_return_of(db, early, "200.00", on=date(2026, 3, 1), deal_registration_id=deal)
    await a_return_of(db, late, "300.00", on=date(2026, 3, 2), deal_registration_id=deal)
    programme = await a_programme(client, rebate("0.05"), eligibility={"registered_deals_only": True})

    q1 = await a_run(client, programme)

    # the sale of Feb 10 preceded the approval: neither it nor its return counts; (800 - 300) * 5 % = 25.00
    assert await _paid(client, q1, anna) == (Decimal("500"), "25.00")


async def test_a_return_of_a_sale_held_by_an_open_flag_still_nets(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    sale = await a_line(db, anna, "1000.00", on=date(2026, 2, 10), flag_status="open")
    await a_return_of(db, sale, "200.00", on=date(2026, 2, 15))
    await a_line(db, anna, "600.00", on=date(2026, 2, 12))
    programme = await a_programme(client, rebate("0.05"))

    q1 = await a_run(client, programme)

    # the sale may still be paid (the flag may be dismissed): its return nets, (600 - 200) * 5 % = 20.00
    assert await _paid(client, q1, anna) == (Decimal("400"), "20.00")

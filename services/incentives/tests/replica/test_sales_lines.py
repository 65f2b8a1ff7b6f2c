"""The replica of sales lines kept from analytics' events: inserted once however often they come, payment
changes and flag reviews applied whatever order they arrive in."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from incentives.replica.line_state_models import PendingPaymentChange
from incentives.replica.models import SalesLine
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import T0, deliver, flag, flag_reviewed, line, payment_updated, sales_recorded

pytestmark = pytest.mark.asyncio


async def stored(db: AsyncSession, partner_id: uuid.UUID) -> dict[str, sa.Row[Any]]:
    """The partner's replicated lines by external id (read afresh, past the identity map)."""
    rows = await db.execute(sa.select(SalesLine.__table__).where(SalesLine.partner_id == partner_id))
    return {row.external_id: row for row in rows}


async def test_recorded_lines_are_replicated_as_sent(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = uuid.uuid4()
    sale = line(partner, "INV-1", amount="1234.5678", occurred_on=date(2026, 6, 30), currency="USD")
    refund = line(partner, "RET-1", amount="34.50", kind="return", original_external_id="INV-1")

    response = await deliver(client, sales_recorded(partner, sale, refund, at=T0))

    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "duplicates": 0}
    lines = await stored(db, partner)
    assert set(lines) == {"INV-1", "RET-1"}
    first = lines["INV-1"]
    assert (first.id, first.kind, first.occurred_on, first.amount, first.currency, first.quantity) == (
        uuid.UUID(sale["id"]),
        "sale",
        date(2026, 6, 30),
        Decimal("1234.5678"),
        "USD",
        Decimal("2.0000"),
    )
    assert (first.payment_status, first.paid_on, first.flag_status, first.recorded_at) == (
        "invoiced",
        None,
        "none",
        T0,
    )
    assert (first.product_sku, first.product_category) == ("FW-100", "firewall")
    # amounts stay positive; the kind carries the sign
    assert (lines["RET-1"].kind, lines["RET-1"].amount, lines["RET-1"].original_external_id) == (
        "return",
        Decimal("34.5000"),
        "INV-1",
    )


async def test_a_redelivered_event_and_a_line_sent_again_are_kept_once(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    sale = line(partner, "INV-1", amount="100.00")
    first = sales_recorded(partner, sale)

    await deliver(client, first)
    redelivered = await deliver(client, first)
    # another event (a replayed webhook, a re-import) carrying the same line next to a new one
    again = await deliver(client, sales_recorded(partner, sale, line(partner, "INV-2", amount="5.00")))
    # the same external id under another line id: still the partner's one line INV-1
    renamed = await deliver(client, sales_recorded(partner, line(partner, "INV-1", amount="999.00")))

    assert redelivered.json() == {"accepted": 0, "duplicates": 1}
    assert again.json() == renamed.json() == {"accepted": 1, "duplicates": 0}
    lines = await stored(db, partner)
    assert sorted(lines) == ["INV-1", "INV-2"]
    assert lines["INV-1"].amount == Decimal("100.0000")
    assert (
        await db.scalar(
            sa.select(sa.func.count()).select_from(SalesLine).where(SalesLine.partner_id == partner)
        )
        == 2
    )


async def test_a_payment_change_updates_the_line_and_repeating_it_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    paid, unpaid = line(partner, "INV-1"), line(partner, "INV-2")
    await deliver(client, sales_recorded(partner, paid, unpaid))

    change = payment_updated(partner, (paid, "paid", date(2026, 7, 20)), at=T0 + timedelta(days=19))
    await deliver(client, change)
    await deliver(
        client, payment_updated(partner, (paid, "paid", date(2026, 7, 20)), at=T0 + timedelta(days=20))
    )

    lines = await stored(db, partner)
    assert (lines["INV-1"].payment_status, lines["INV-1"].paid_on) == ("paid", date(2026, 7, 20))
    assert (lines["INV-2"].payment_status, lines["INV-2"].paid_on) == ("invoiced", None)


async def test_a_payment_change_before_its_line_is_applied_when_the_line_arrives(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """The line's sales.recorded was parked and replayed after the payment change flowed past it."""
    partner = uuid.uuid4()
    sale = line(partner, "INV-1", payment_status="invoiced")
    earlier = payment_updated(partner, (sale, "invoiced", None), at=T0 + timedelta(days=1))
    later = payment_updated(partner, (sale, "paid", date(2026, 7, 9)), at=T0 + timedelta(days=8))

    await deliver(client, later)
    await deliver(client, earlier)  # older: must not win over the later change
    assert await stored(db, partner) == {}
    await deliver(client, sales_recorded(partner, sale, at=T0))

    row = (await stored(db, partner))["INV-1"]
    assert (row.payment_status, row.paid_on) == ("paid", date(2026, 7, 9))
    pending = await db.scalar(
        sa.select(sa.func.count())
        .select_from(PendingPaymentChange)
        .where(PendingPaymentChange.partner_id == partner)
    )
    assert pending == 0


async def test_a_line_flagged_twice_is_held_until_every_flag_is_reviewed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    spike, own = flag("volume_spike"), flag("own_domain")
    flagged = line(partner, "INV-1", flags=[spike, own])
    clean = line(partner, "INV-2")
    await deliver(client, sales_recorded(partner, flagged, clean))
    assert [(await stored(db, partner))[key].flag_status for key in ("INV-1", "INV-2")] == ["open", "none"]

    await deliver(client, flag_reviewed(flagged, spike, "dismissed"))
    # the other flag is still open: the line stays held
    assert (await stored(db, partner))["INV-1"].flag_status == "open"

    await deliver(client, flag_reviewed(flagged, own, "dismissed"))
    assert (await stored(db, partner))["INV-1"].flag_status == "dismissed"


async def test_one_confirmed_flag_keeps_the_line_confirmed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    spike, repeated = flag("volume_spike"), flag("repeated_line")
    flagged = line(partner, "INV-1", flags=[spike, repeated])
    await deliver(client, sales_recorded(partner, flagged))

    await deliver(client, flag_reviewed(flagged, spike, "confirmed"))
    await deliver(client, flag_reviewed(flagged, repeated, "dismissed"))

    assert (await stored(db, partner))["INV-1"].flag_status == "confirmed"


async def test_a_review_heard_before_its_line_is_kept(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = uuid.uuid4()
    spike = flag("volume_spike")
    flagged = line(partner, "INV-1", flags=[spike])

    await deliver(client, flag_reviewed(flagged, spike, "dismissed"))
    await deliver(client, sales_recorded(partner, flagged))

    assert (await stored(db, partner))["INV-1"].flag_status == "dismissed"


async def test_a_line_the_replica_cannot_hold_refuses_the_event_and_stores_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    good = line(partner, "INV-1")
    too_long = line(partner, "X" * 201)

    response = await deliver(client, sales_recorded(partner, good, too_long))

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "external_id longer than 200" in response.json()["detail"]
    assert await stored(db, partner) == {}


async def test_a_full_delivery_of_a_thousand_lines_is_stored_in_one_go(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    lines = [line(partner, f"INV-{number:04d}", amount=f"{number}.00") for number in range(1, 1001)]

    response = await deliver(client, sales_recorded(partner, *lines))

    assert response.json() == {"accepted": 1, "duplicates": 0}
    total = await db.scalar(sa.select(sa.func.sum(SalesLine.amount)).where(SalesLine.partner_id == partner))
    # 1 + 2 + … + 1000 = 1000 * 1001 / 2
    assert total == Decimal(500500)

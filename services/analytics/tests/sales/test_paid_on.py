"""The day a line was paid: sent with the line (`paid_on`), taken as the day it occurred for a line sent
already paid without one, or the day analytics learned it from a `sales.payment_updated` without one. Paid-basis
incentives count lines by this day, so a paid line never goes without it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from analytics.sales.models import SalesLine
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import Sender, a_line, events_of, is_problem, payment_updated, sales_reported, stored_counts
from .fakes import FakeRegistry

pytestmark = pytest.mark.asyncio


async def _paid(db: AsyncSession, partner_id: Any) -> dict[str, tuple[str, date | None]]:
    rows = await db.execute(
        sa.select(SalesLine.external_id, SalesLine.payment_status, SalesLine.paid_on)
        .where(SalesLine.partner_id == partner_id)
        .execution_options(populate_existing=True)
    )
    return {external_id: (status, paid_on) for external_id, status, paid_on in rows}


async def test_a_line_sent_paid_is_stored_paid_on_its_day_or_the_day_it_occurred(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    message = sales_reported(
        a_line(external_id="CASH", occurred_on="2026-06-10", payment_status="paid"),
        a_line(external_id="DATED", occurred_on="2026-06-10", payment_status="paid", paid_on="2026-06-20"),
        a_line(external_id="OPEN", occurred_on="2026-06-10", payment_status="invoiced"),
    )

    response = await sender.send(partner_id, secret, message)

    assert response.status_code == 200, response.text
    assert await _paid(db, partner_id) == {
        "CASH": ("paid", date(2026, 6, 10)),
        "DATED": ("paid", date(2026, 6, 20)),
        "OPEN": ("invoiced", None),
    }
    recorded = (await events_of(db, "sales.recorded"))[-1]["data"]["lines"]
    assert {line["external_id"]: line["paid_on"] for line in recorded} == {
        "CASH": "2026-06-10",
        "DATED": "2026-06-20",
        "OPEN": None,
    }


async def test_paid_on_on_a_line_not_paid_is_a_422_storing_nothing(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    before = await stored_counts(db)

    response = await sender.send(
        partner_id, secret, sales_reported(a_line(payment_status="invoiced", paid_on="2026-06-20"))
    )

    assert is_problem(response, "validation-error", 422)
    assert response.json()["errors"][0]["type"] == "paid_on_not_paid"
    assert await stored_counts(db) == before


SAME = {"external_id": "L-1", "invoice_id": "INV-L-1"}


async def test_the_same_line_sent_again_with_its_payment_day_is_a_duplicate(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    await sender.send(partner_id, secret, sales_reported(a_line(**SAME, payment_status="invoiced")))

    again = await sender.send(
        partner_id,
        secret,
        sales_reported(a_line(**SAME, payment_status="paid", paid_on="2026-06-30")),
    )

    assert again.json()["counts"]["duplicate"] == 1  # payment is not content: it changes by payment updates
    assert (await _paid(db, partner_id))["L-1"] == ("invoiced", None)


async def test_a_payment_update_without_a_day_is_paid_the_day_analytics_learns_it_and_keeps_that_day(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    await sender.send(partner_id, secret, sales_reported(a_line(external_id="P-1", occurred_on="2026-06-01")))
    today = sender.clock.now.date()

    first = await sender.send(
        partner_id, secret, payment_updated({"external_id": "P-1", "payment_status": "paid"})
    )
    sender.clock.advance(days=3)
    second = await sender.send(
        partner_id, secret, payment_updated({"external_id": "P-1", "payment_status": "paid"})
    )
    dated = await sender.send(
        partner_id,
        secret,
        payment_updated({"external_id": "P-1", "payment_status": "paid", "paid_on": "2026-06-25"}),
    )

    assert first.json()["counts"]["accepted"] == 1
    assert second.json()["counts"]["duplicate"] == 1  # still paid on the first day it was reported
    assert dated.json()["counts"]["accepted"] == 1
    assert (await _paid(db, partner_id))["P-1"] == ("paid", date(2026, 6, 25))
    changes = [event["data"]["changes"][0] for event in await events_of(db, "sales.payment_updated")]
    assert [(c["external_id"], c["paid_on"]) for c in changes[-2:]] == [
        ("P-1", today.isoformat()),
        ("P-1", "2026-06-25"),
    ]


async def test_a_payment_update_paid_more_than_a_day_ahead_is_rejected_and_changes_nothing(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    # found from outside: a mistyped year (2062) was stored without the flag the same day gets on a new line,
    # moving the line out of every paid-basis payout with nothing to review
    partner_id, secret = registry.partner()
    await sender.send(partner_id, secret, sales_reported(a_line(external_id="F-1", occurred_on="2026-06-01")))
    await sender.send(partner_id, secret, sales_reported(a_line(external_id="F-2", occurred_on="2026-06-01")))
    today = sender.clock.now.date()
    tomorrow, later = today + timedelta(days=1), today + timedelta(days=2)
    events_before = len(await events_of(db, "sales.payment_updated"))

    ahead = await sender.send(
        partner_id,
        secret,
        payment_updated(
            {"external_id": "F-1", "payment_status": "paid", "paid_on": later.isoformat()},
            {"external_id": "F-2", "payment_status": "paid", "paid_on": tomorrow.isoformat()},
        ),
    )

    assert ahead.status_code == 200, ahead.text
    answer = ahead.json()
    assert answer["counts"] == {"received": 2, "accepted": 1, "duplicate": 0, "rejected": 1}
    assert [(r["external_id"], r["reason"]) for r in answer["rejected"]] == [("F-1", "paid_on_in_future")]
    assert f"paid_on {later.isoformat()} is after {today.isoformat()}" in answer["rejected"][0]["detail"]
    # a day of grace, as for lines: a partner's day may begin before UTC's
    assert await _paid(db, partner_id) == {"F-1": ("invoiced", None), "F-2": ("paid", tomorrow)}
    changes = [event["data"]["changes"] for event in await events_of(db, "sales.payment_updated")]
    assert len(changes) == events_before + 1
    assert [change["external_id"] for change in changes[-1]] == ["F-2"]


async def test_a_payment_update_wholly_ahead_is_a_422_storing_nothing(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    await sender.send(partner_id, secret, sales_reported(a_line(external_id="F-3", occurred_on="2026-06-01")))
    before = await stored_counts(db)

    response = await sender.send(
        partner_id,
        secret,
        payment_updated({"external_id": "F-3", "payment_status": "paid", "paid_on": "2062-07-10"}),
    )

    assert is_problem(response, "sales-lines-rejected", 422)
    assert response.json()["report"]["rejected"][0]["reason"] == "paid_on_in_future"
    assert await stored_counts(db) == before
    assert (await _paid(db, partner_id))["F-3"] == ("invoiced", None)

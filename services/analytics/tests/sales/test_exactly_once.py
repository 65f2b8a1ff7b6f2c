"""Exactly-once effect: a retried delivery answers the same and adds nothing, a line sent again is a duplicate,
a changed line is refused, never overwritten; payment updates apply once."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from analytics.sales.models import SalesLine
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import (
    Sender,
    a_line,
    events_of,
    is_problem,
    payment_updated,
    sales_reported,
    stored_counts,
)
from .fakes import FakeRegistry

pytestmark = pytest.mark.asyncio


async def _lines(db: AsyncSession, partner_id: Any) -> list[SalesLine]:
    rows = await db.scalars(
        sa.select(SalesLine).where(SalesLine.partner_id == partner_id).order_by(SalesLine.external_id)
    )
    return list(rows.all())


async def test_the_same_webhook_id_again_gets_the_same_answer_and_adds_nothing(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    message = sales_reported(a_line(), a_line())
    first = await sender.send(partner_id, secret, message, webhook_id="msg_retry")
    after_first = await stored_counts(db)

    again = await sender.send(partner_id, secret, message, webhook_id="msg_retry")

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["webhook-replayed"] == "true"
    assert "webhook-replayed" not in first.headers
    assert await stored_counts(db) == after_first


async def test_the_same_webhook_id_with_another_body_is_a_422(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    await sender.send(partner_id, secret, sales_reported(a_line()), webhook_id="msg_reused")
    before = await stored_counts(db)

    response = await sender.send(partner_id, secret, sales_reported(a_line()), webhook_id="msg_reused")

    assert is_problem(response, "webhook-id-reused", 422)
    assert response.json()["errors"][0]["loc"] == ["header", "webhook-id"]
    assert await stored_counts(db) == before


async def test_webhook_ids_are_per_partner(sender: Sender, registry: FakeRegistry) -> None:
    one, one_secret = registry.partner()
    two, two_secret = registry.partner()

    first = await sender.send(one, one_secret, sales_reported(a_line()), webhook_id="msg_1")
    second = await sender.send(two, two_secret, sales_reported(a_line()), webhook_id="msg_1")

    assert (first.status_code, second.status_code) == (200, 200)
    assert "webhook-replayed" not in second.headers


async def test_a_line_sent_again_is_a_duplicate_and_a_changed_one_is_rejected(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    kept, changed = a_line(external_id="L-1"), a_line(external_id="L-2")
    first = await sender.send(partner_id, secret, sales_reported(kept, changed))
    stored_ids = {item["external_id"]: item["line_id"] for item in first.json()["accepted"]}
    # the same content written differently, a newer payment status (not compared), and a real change
    same_kept = kept | {"unit_price": "150.0000", "amount": "300", "payment_status": "paid"}
    altered = changed | {"quantity": "3", "amount": "450.00"}
    new = a_line(external_id="L-3")
    before = await stored_counts(db)

    response = await sender.send(partner_id, secret, sales_reported(same_kept, altered, new))

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["counts"] == {"received": 3, "accepted": 1, "duplicate": 1, "rejected": 1}
    assert answer["duplicate"] == [{"external_id": "L-1", "line_id": stored_ids["L-1"]}]
    assert [item["external_id"] for item in answer["accepted"]] == ["L-3"]
    assert answer["rejected"][0]["external_id"] == "L-2"
    assert answer["rejected"][0]["reason"] == "content_differs"
    after = await stored_counts(db)
    assert after["sales_line"] == before["sales_line"] + 1
    lines = {line.external_id: line for line in await _lines(db, partner_id)}
    assert str(lines["L-2"].quantity) == "2.0000"  # never overwritten
    assert lines["L-1"].payment_status == "invoiced"  # a resent status does not change the stored one


async def test_a_line_twice_in_one_delivery_is_stored_once(sender: Sender, registry: FakeRegistry) -> None:
    partner_id, secret = registry.partner()
    line = a_line(external_id="L-1")

    response = await sender.send(
        partner_id, secret, sales_reported(line, line, line | {"amount": "300.0", "quantity": "2.00"})
    )

    answer = response.json()
    assert answer["counts"] == {"received": 3, "accepted": 1, "duplicate": 2, "rejected": 0}
    assert {item["line_id"] for item in answer["duplicate"]} == {answer["accepted"][0]["line_id"]}


async def test_returns_need_their_original_stored_or_earlier_in_the_delivery(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    await sender.send(partner_id, secret, sales_reported(a_line(external_id="S-1")))
    of_stored = a_line(external_id="R-1", kind="return", original_external_id="S-1")
    sale_here = a_line(external_id="S-2")
    of_this_delivery = a_line(external_id="R-2", kind="credit_note", original_external_id="S-2")
    of_nothing = a_line(external_id="R-3", kind="return", original_external_id="S-404")
    of_a_later_line = a_line(external_id="R-4", kind="return", original_external_id="S-5")
    without_original = a_line(external_id="R-5", kind="return")

    response = await sender.send(
        partner_id,
        secret,
        sales_reported(
            of_stored,
            sale_here,
            of_this_delivery,
            of_nothing,
            of_a_later_line,
            a_line(external_id="S-5"),
            without_original,
        ),
    )

    answer = response.json()
    assert response.status_code == 200
    assert [item["external_id"] for item in answer["accepted"]] == ["R-1", "S-2", "R-2", "S-5", "R-5"]
    assert [(item["external_id"], item["reason"]) for item in answer["rejected"]] == [
        ("R-3", "original_not_found"),
        ("R-4", "original_not_found"),
    ]
    assert "S-404" in answer["rejected"][0]["detail"]
    assert "R-3" not in {line.external_id for line in await _lines(db, partner_id)}


async def test_a_delivery_with_only_rejected_lines_is_a_422_that_stores_nothing_not_even_its_receipt(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    orphan = a_line(external_id="R-1", kind="return", original_external_id="S-1")
    before = await stored_counts(db)

    refused = await sender.send(partner_id, secret, sales_reported(orphan), webhook_id="msg_orphan")

    assert is_problem(refused, "sales-lines-rejected", 422)
    report = refused.json()["report"]
    assert report["counts"] == {"received": 1, "accepted": 0, "duplicate": 0, "rejected": 1}
    assert report["rejected"][0]["reason"] == "original_not_found"
    assert await stored_counts(db) == before

    # once the original is stored, the very same delivery (same webhook-id, same body) is judged afresh
    await sender.send(partner_id, secret, sales_reported(a_line(external_id="S-1")))
    retried = await sender.send(partner_id, secret, sales_reported(orphan), webhook_id="msg_orphan")

    assert retried.status_code == 200
    assert retried.json()["counts"]["accepted"] == 1


async def test_a_delivery_of_duplicates_only_is_a_200(sender: Sender, registry: FakeRegistry) -> None:
    partner_id, secret = registry.partner()
    line = a_line()
    await sender.send(partner_id, secret, sales_reported(line))

    response = await sender.send(partner_id, secret, sales_reported(line))

    assert response.status_code == 200
    assert response.json()["counts"] == {"received": 1, "accepted": 0, "duplicate": 1, "rejected": 0}


async def test_sales_recorded_carries_the_accepted_lines_with_empty_flags(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    before = len(await events_of(db, "sales.recorded"))
    line = a_line(
        external_id="E-1", cost="200.00", deal_registration_id="0b4f6f5e-3c7a-4d59-9a43-6f4d3c2b1a00"
    )

    response = await sender.send(partner_id, secret, sales_reported(line), webhook_id="msg_event")

    events = await events_of(db, "sales.recorded")
    assert len(events) == before + 1
    event = events[-1]
    assert event["source"] == "analytics"
    assert event["data"]["partner_id"] == str(partner_id)
    assert event["data"]["webhook_id"] == "msg_event"
    (recorded,) = event["data"]["lines"]
    assert recorded["id"] == response.json()["accepted"][0]["line_id"]
    assert recorded["flags"] == []
    assert (recorded["external_id"], recorded["amount"], recorded["cost"], recorded["currency"]) == (
        "E-1",
        "300.0000",
        "200.0000",
        "EUR",
    )
    assert recorded["deal_registration_id"] == "0b4f6f5e-3c7a-4d59-9a43-6f4d3c2b1a00"


async def test_payment_updates_apply_once(sender: Sender, registry: FakeRegistry, db: AsyncSession) -> None:
    partner_id, secret = registry.partner()
    await sender.send(
        partner_id, secret, sales_reported(a_line(external_id="P-1"), a_line(external_id="P-2"))
    )
    paid = payment_updated({"external_id": "P-1", "payment_status": "paid", "paid_on": "2026-06-30"})
    events_before = len(await events_of(db, "sales.payment_updated"))

    first = await sender.send(partner_id, secret, paid)
    second = await sender.send(partner_id, secret, paid)  # a new webhook-id with the same update

    assert first.json()["counts"] == {"received": 1, "accepted": 1, "duplicate": 0, "rejected": 0}
    assert second.json()["counts"] == {"received": 1, "accepted": 0, "duplicate": 1, "rejected": 0}
    lines = {line.external_id: line for line in await _lines(db, partner_id)}
    assert (lines["P-1"].payment_status, str(lines["P-1"].paid_on)) == ("paid", "2026-06-30")
    assert (lines["P-2"].payment_status, lines["P-2"].paid_on) == ("invoiced", None)
    events = await events_of(db, "sales.payment_updated")
    assert len(events) == events_before + 1  # the unchanged second one announces nothing
    assert events[-1]["data"]["changes"] == [
        {
            "line_id": str(lines["P-1"].id),
            "external_id": "P-1",
            "occurred_on": "2026-06-15",
            "payment_status": "paid",
            "paid_on": "2026-06-30",
        }
    ]


async def test_a_payment_update_of_an_unknown_line_is_rejected(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    other, other_secret = registry.partner()
    await sender.send(other, other_secret, sales_reported(a_line(external_id="X-1")))  # another partner's
    before = await stored_counts(db)

    response = await sender.send(
        partner_id, secret, payment_updated({"external_id": "X-1", "payment_status": "paid"})
    )

    assert is_problem(response, "sales-lines-rejected", 422)
    assert response.json()["report"]["rejected"][0]["reason"] == "line_not_found"
    assert await stored_counts(db) == before


async def test_paid_on_without_paid_is_a_422(sender: Sender, registry: FakeRegistry) -> None:
    partner_id, secret = registry.partner()

    response = await sender.send(
        partner_id,
        secret,
        payment_updated({"external_id": "X-1", "payment_status": "invoiced", "paid_on": "2026-06-30"}),
    )

    assert is_problem(response, "validation-error", 422)
    assert response.json()["errors"][0]["loc"] == ["body", "data", "updates", 0]

"""The anomaly guard's rules alone, without a database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from analytics.anomalies.rules import GuardedLine, History, Raised, raised_flags
from analytics.sales.rollups import customer_key
from prm_contracts.sales import FlagCode, SalesTransaction

DAY = date(2026, 7, 1)


def line(amount: str = "100.00", *, day: date = DAY, customer: str = "Globex", **more: Any) -> GuardedLine:
    transaction = SalesTransaction.model_validate(
        {
            "external_id": f"L-{uuid4()}",
            "kind": "sale",
            "occurred_on": day.isoformat(),
            "payment_status": "invoiced",
            "customer": {"name": customer, "domain": more.pop("domain", None)},
            "product": {"sku": "S", "category": "c"},
            "quantity": "1",
            "unit_price": amount,
            "amount": amount,
            "currency": "EUR",
        }
        | more
    )
    return GuardedLine(line_id=uuid4(), line=transaction, customer_key=customer_key(transaction))


def history(days_with_sales: int = 0, daily: str = "100", **more: Any) -> History:
    sales = {("EUR", DAY - timedelta(days=n)): Decimal(daily) for n in range(1, days_with_sales + 1)}
    return History(
        daily_sales=more.pop("daily_sales", sales),
        stored_repeats=more.pop("stored_repeats", frozenset()),
        customers_with_sales=more.pop("customers_with_sales", frozenset()),
        partner_domain=more.pop("partner_domain", None),
    )


def raised(lines: list[GuardedLine], past: History, *, received_on: date = DAY) -> dict[Any, list[Raised]]:
    return raised_flags(lines, past, received_on=received_on)


def codes(flags: dict[Any, Any], guarded: GuardedLine) -> list[FlagCode]:
    return [flag.code for flag in flags.get(guarded.line_id, [])]


def test_a_day_above_five_times_the_median_is_a_volume_spike() -> None:
    # 14 days of 100 before: the median is 100; 501 > 5 x 100, 500 is not
    above, at = line("501.00"), line("500.00", day=DAY + timedelta(days=1), customer="Other")
    past = dict(history(14).daily_sales) | {("EUR", DAY): Decimal(0)}
    flags = raised([above, at], history(daily_sales=past))

    assert codes(flags, above) == [FlagCode.volume_spike]
    assert "501.00 EUR" in flags[above.line_id][0].reason
    assert "median daily sales of 100 EUR" in flags[above.line_id][0].reason
    # the next day's baseline has 15 days (14 x 100 and the 0 of DAY is not a day with sales): 500 is not above
    assert codes(flags, at) == []


def test_the_day_counts_what_was_stored_before_the_delivery() -> None:
    guarded = line("101.00")
    past = dict(history(14).daily_sales) | {("EUR", DAY): Decimal(400)}  # 400 + 101 = 501 > 500

    assert codes(raised([guarded], history(daily_sales=past)), guarded) == [FlagCode.volume_spike]


def test_too_little_history_raises_no_volume_spike() -> None:
    guarded = line("99999.00")

    assert raised([guarded], history(13)) == {}


def test_a_return_without_original_for_a_customer_who_never_bought() -> None:
    unmatched = line(kind="return", customer="Stranger")
    bought_before = line(kind="credit_note", customer="Known")
    bought_earlier_in_delivery = line(customer="New")
    then_returned = line(kind="return", customer="New")

    flags = raised(
        [unmatched, bought_before, bought_earlier_in_delivery, then_returned],
        history(customers_with_sales=frozenset({bought_before.customer_key})),
    )

    assert codes(flags, unmatched) == [FlagCode.return_without_sale]
    assert codes(flags, bought_before) == codes(flags, then_returned) == []


def test_the_same_customer_day_and_amount_again_is_a_repeat() -> None:
    first, again, other_amount = line("100.00"), line("100.0"), line("100.01")
    stored = line("250.00", customer="Initech")

    flags = raised(
        [first, again, other_amount, stored],
        history(stored_repeats=frozenset({(stored.customer_key, DAY, Decimal("250"), "EUR")})),
    )

    assert codes(flags, first) == []
    assert codes(flags, other_amount) == []
    assert codes(flags, again) == [FlagCode.repeated_line]  # 100.0 equals 100.00
    assert codes(flags, stored) == [FlagCode.repeated_line]
    assert "already stored" in flags[stored.line_id][0].reason


def test_a_customer_on_the_partners_own_domain() -> None:
    own, sub, other = (
        line(domain="acme.example"),
        line(domain="sales.acme.example", customer="B"),
        line(domain="notacme.example", customer="C"),
    )

    flags = raised([own, sub, other], history(partner_domain="www.ACME.example"))

    assert codes(flags, own) == codes(flags, sub) == [FlagCode.own_domain]
    assert codes(flags, other) == []


def test_a_line_dated_after_the_day_of_grace_is_future_dated() -> None:
    # received on DAY (UTC): the next day is a partner ahead of UTC, the one after is not yet
    today, tomorrow = line(), line(day=DAY + timedelta(days=1), customer="B")
    after = line(day=DAY + timedelta(days=2), customer="C")
    mistyped = line(day=date(2062, 7, 1), customer="D")
    paid_ahead = line(customer="E", payment_status="paid", paid_on=(DAY + timedelta(days=30)).isoformat())

    flags = raised([today, tomorrow, after, mistyped, paid_ahead], history(), received_on=DAY)

    assert codes(flags, today) == codes(flags, tomorrow) == []
    assert (
        codes(flags, after) == codes(flags, mistyped) == codes(flags, paid_ahead) == [FlagCode.future_dated]
    )
    assert (
        flags[after.line_id][0].reason
        == "occurred on 2026-07-03: after 2026-07-01, the day (UTC) the line was received"
    )
    assert flags[paid_ahead.line_id][0].reason.startswith("paid on 2026-07-31: after 2026-07-01")


def test_a_future_dated_line_keeps_its_other_flags() -> None:
    ahead = line(day=DAY + timedelta(days=5), domain="acme.example")

    flags = raised([ahead], history(partner_domain="acme.example"), received_on=DAY)

    assert codes(flags, ahead) == [FlagCode.own_domain, FlagCode.future_dated]

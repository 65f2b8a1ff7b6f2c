"""The anomaly guard's rules alone, without a database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from analytics.anomalies.rules import GuardedLine, History, OriginalLine, Raised, raised_flags
from analytics.sales.rollups import customer_key
from prm_contracts.sales import FlagCode, SalesKind, SalesTransaction

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
        originals=more.pop("originals", {}),
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


def returned(
    original: str, amount: str, *, quantity: str = "1", kind: str = "return", **more: Any
) -> GuardedLine:
    price = str(Decimal(amount) / Decimal(quantity))
    return line(amount, quantity=quantity, unit_price=price, kind=kind, original_external_id=original, **more)


def stored(
    kind: SalesKind = SalesKind.sale, *, quantity: str = "2", amount: str = "200.00", **more: Any
) -> OriginalLine:
    return OriginalLine(kind=kind, quantity=Decimal(quantity), amount=Decimal(amount), currency="EUR", **more)


def test_returns_and_credit_notes_beyond_their_original_are_flagged_counting_those_before() -> None:
    # a stored sale of 2 x 100.00 EUR, 50.00 of which a stored credit note took back already
    past = history(originals={"S-1": stored(returned_amount=Decimal("50.00"))})
    within = returned("S-1", "100.00")  # 150.00 of 200.00
    beyond = returned("S-1", "100.00")  # 250.00 of 200.00
    flags = raised([within, beyond], past)

    assert codes(flags, within) == []
    assert codes(flags, beyond) == [FlagCode.original_mismatch]
    assert "come to 250.00 EUR with this one, more than its 200.00 EUR" in flags[beyond.line_id][0].reason


def test_a_return_of_more_units_than_were_sold_is_flagged_though_its_amount_fits() -> None:
    # 3 units returned at a lower price than the 2 sold: the amount fits, the quantity does not
    past = history(originals={"S-1": stored(returned_quantity=Decimal(1))})
    flags = raised([cheap := returned("S-1", "30.00", quantity="2")], past)

    assert codes(flags, cheap) == [FlagCode.original_mismatch]
    assert "a quantity of 3 with this one, more than its 2" in flags[cheap.line_id][0].reason


def test_an_original_in_the_same_delivery_counts_and_a_credit_note_adds_no_quantity() -> None:
    sale = line("100.00", external_id="S-2")
    credit = returned("S-2", "60.00", kind="credit_note")
    more = returned("S-2", "60.00", kind="credit_note")  # 120.00 of 100.00
    flags = raised([sale, credit, more], history())

    assert (codes(flags, credit), codes(flags, more)) == ([], [FlagCode.original_mismatch])


def test_a_return_of_a_return_or_in_another_currency_is_flagged() -> None:
    past = history(originals={"R-1": stored(SalesKind.return_), "S-1": stored()})
    of_a_return = returned("R-1", "10.00")
    in_dollars = returned("S-1", "10.00", currency="USD")
    flags = raised([of_a_return, in_dollars], past)

    assert codes(flags, of_a_return) == codes(flags, in_dollars) == [FlagCode.original_mismatch]
    assert "'R-1', a return: only a sale is returned or credited" in flags[of_a_return.line_id][0].reason
    assert "it is in USD, and 'S-1' in EUR" in flags[in_dollars.line_id][0].reason


def test_an_original_whose_figures_are_unknown_is_not_judged() -> None:
    flags = raised([unknown := returned("S-9", "1000.00")], history())

    assert codes(flags, unknown) == []

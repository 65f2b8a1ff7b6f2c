"""Money crosses every boundary as a decimal string and an ISO 4217 code, never as a float."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prm_contracts.money import Money
from pydantic import ValidationError


def money_json(amount: object, currency: object = "EUR") -> str:
    return json.dumps({"amount": amount, "currency": currency})


def only_error(caught: pytest.ExceptionInfo[ValidationError]) -> dict[str, object]:
    [error] = caught.value.errors()
    return dict(error)


@pytest.mark.parametrize("amount", ["10.5", "0", "-3.25", "123456789012345.1234", "0.0001", "1234.50"])
def test_a_decimal_string_is_accepted_and_sent_back_as_the_same_string(amount: str) -> None:
    money = Money.model_validate_json(money_json(amount))

    assert money.amount == Decimal(amount)
    assert money.model_dump(mode="json") == {"amount": amount, "currency": "EUR"}
    assert json.loads(money.model_dump_json()) == {"amount": amount, "currency": "EUR"}


@pytest.mark.parametrize("zero", ["-0", "-0.00", "-0.0000", "0.00"])
def test_a_negative_zero_is_zero_keeping_its_places(zero: str) -> None:
    money = Money.model_validate_json(money_json(zero))
    from_code = Money(amount=Decimal(zero), currency="EUR")

    assert money.model_dump(mode="json")["amount"] == zero.removeprefix("-")
    assert from_code.model_dump(mode="json")["amount"] == zero.removeprefix("-")
    assert not money.amount.is_signed()


def test_trailing_zeros_a_client_sent_are_kept() -> None:
    money = Money.model_validate_json(money_json("1234.5000"))

    assert money.model_dump(mode="json")["amount"] == "1234.5000"


@pytest.mark.parametrize("number", ["10", "10.5", "0", "-3.25", "1e3"])
def test_a_json_number_is_refused_with_advice_to_send_a_string(number: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.model_validate_json(f'{{"amount": {number}, "currency": "EUR"}}')

    error = only_error(caught)
    assert error["loc"] == ("amount",)
    assert 'must be sent as a decimal string such as "1234.50", not as a JSON number' in str(error["msg"])


@pytest.mark.parametrize(
    "amount",
    [
        "1e400",
        "1E5",
        "NaN",
        "Infinity",
        "-Infinity",
        "",
        " 1",
        "1 ",
        "1.23456",  # five decimals: more than the four money carries
        "1234567890123456",  # sixteen integer digits
        "+1",
        "1.",
        ".5",
        "1,50",
        "12\n",
        "١٢",  # Arabic-Indic digits: Decimal would read them as 12, the contract's pattern does not
    ],
)
def test_a_string_that_is_not_a_plain_decimal_is_refused(amount: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.model_validate_json(money_json(amount))

    error = only_error(caught)
    assert error["loc"] == ("amount",)
    assert "plain decimal string" in str(error["msg"])


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), Decimal("1E+400")])
def test_python_code_cannot_build_money_from_a_non_finite_or_huge_decimal(amount: Decimal) -> None:
    with pytest.raises(ValidationError):
        Money(amount=amount, currency="EUR")


def test_python_code_may_pass_a_decimal() -> None:
    money = Money(amount=Decimal("19.99"), currency="USD")

    assert money.model_dump(mode="json") == {"amount": "19.99", "currency": "USD"}


@pytest.mark.parametrize("currency", ["EUR", "USD", "JPY", "CHF", "GBP"])
def test_a_real_iso_4217_code_is_accepted(currency: str) -> None:
    money = Money.model_validate_json(money_json("1", currency))

    assert money.currency == currency


@pytest.mark.parametrize("currency", ["EURO", "eur", "ABC", "XXX", "XAU", "", "E", 978])
def test_anything_but_a_real_currency_code_is_refused(currency: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.model_validate_json(money_json("1", currency))

    error = only_error(caught)
    assert error["loc"] == ("currency",)
    assert "ISO 4217" in str(error["msg"])


def test_unknown_members_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Money.model_validate_json('{"amount": "1", "currency": "EUR", "rate": "1.1"}')

    assert only_error(caught)["loc"] == ("rate",)


def test_amounts_of_one_currency_add_exactly() -> None:
    total = Money(amount="0.1", currency="EUR") + Money(amount="0.2", currency="EUR")

    # 0.1 + 0.2 in exact decimal is 0.3 (a float would give 0.30000000000000004)
    assert total.model_dump(mode="json") == {"amount": "0.3", "currency": "EUR"}


def test_amounts_of_different_currencies_do_not_add() -> None:
    with pytest.raises(ValueError, match="cannot add USD to EUR"):
        Money(amount="1", currency="EUR") + Money(amount="1", currency="USD")


def test_the_json_schema_tells_clients_the_amount_is_a_string() -> None:
    amount_schema = Money.model_json_schema()["properties"]["amount"]

    assert amount_schema["type"] == "string"
    assert amount_schema["pattern"].startswith("^")


@settings(database=None)  # nothing written into the working tree
@given(
    st.decimals(
        min_value=Decimal("-999999999999999.9999"),
        max_value=Decimal("999999999999999.9999"),
        places=4,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_any_amount_in_range_round_trips_through_json_exactly(amount: Decimal) -> None:
    sent = str(amount)

    money = Money.model_validate_json(money_json(sent))
    wire = money.model_dump_json()
    received = Money.model_validate_json(wire)

    assert json.loads(wire)["amount"] == sent
    assert received == money
    assert received.amount == amount

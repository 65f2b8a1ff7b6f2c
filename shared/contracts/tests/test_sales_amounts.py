"""`amount = quantity * unit_price`, rounded half up or half even to the places the amount is written with:
checked against integer arithmetic (a second method, no Decimal rounding)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prm_contracts.sales import amount_matches

pytestmark = pytest.mark.backend_independent


def _decimal(units: int, places: int) -> Decimal:
    return Decimal(units).scaleb(-places)


def _roundings(numerator: int, places_of_product: int, places: int) -> set[int]:
    """`numerator / 10**places_of_product` rounded to `places`, half up and half even, as integers of that
    scale."""
    if places >= places_of_product:
        return {numerator * 10 ** (places - places_of_product)}
    whole, rest = divmod(numerator, 10 ** (places_of_product - places))
    half = 10 ** (places_of_product - places)
    half_up = whole + (1 if 2 * rest >= half else 0)
    half_even = whole + (1 if 2 * rest > half or (2 * rest == half and whole % 2) else 0)
    return {half_up, half_even}


@given(
    st.integers(1, 10**6),
    st.integers(0, 4),
    st.integers(0, 10**8),
    st.integers(0, 4),
    st.integers(0, 4),
    st.integers(-3, 3),
)
def test_amount_matches_the_product_rounded_either_way_to_its_places(
    quantity_units: int, quantity_places: int, price_units: int, price_places: int, places: int, offset: int
) -> None:
    quantity, price = _decimal(quantity_units, quantity_places), _decimal(price_units, price_places)
    product_places = quantity_places + price_places
    rounded = _roundings(quantity_units * price_units, product_places, places)
    candidate = min(rounded) + offset
    if candidate < 0:
        return
    amount = _decimal(candidate, places)

    assert amount_matches(quantity, price, amount) is (candidate in rounded)


def test_examples_by_hand() -> None:
    assert amount_matches(Decimal("3"), Decimal("199.99"), Decimal("599.97"))
    assert amount_matches(Decimal("3"), Decimal("199.99"), Decimal("599.9700"))
    assert amount_matches(Decimal("3"), Decimal("199.99"), Decimal("600"))  # to whole units
    assert not amount_matches(
        Decimal("3"), Decimal("199.99"), Decimal("599.9")
    )  # 599.97 is 600.0 at one place
    assert amount_matches(Decimal("0.5"), Decimal("0.05"), Decimal("0.02"))  # 0.025: half even
    assert amount_matches(Decimal("0.5"), Decimal("0.05"), Decimal("0.03"))  # 0.025: half up
    assert not amount_matches(Decimal("0.5"), Decimal("0.05"), Decimal("0.01"))

"""The rounding rule's invariant: a payout's trace (the rounded payout allocated over exact contributions)
sums to the payout exactly, whatever the contributions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from incentives.calculation.rounding import allocate, round_payout
from prm_contracts.money import minor_unit

pytestmark = pytest.mark.backend_independent

contributions = st.lists(
    st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=10, allow_nan=False),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(contributions, st.sampled_from(["EUR", "JPY", "KWD"]))
def test_the_trace_sums_to_the_rounded_payout_exactly(weights: list[Decimal], currency: str) -> None:
    total = sum(weights, Decimal(0))
    payout = round_payout(total, currency)
    if total == 0:
        payout = Decimal(0)

    shares = allocate(payout, weights, currency)

    assert sum(shares, Decimal(0)) == payout
    unit = minor_unit(currency)
    assert all(share % unit == 0 for share in shares)
    if total != 0:
        # each share is within one minor unit of its exact part
        assert all(abs(s - w * payout / total) < unit for s, w in zip(shares, weights, strict=True))


@settings(max_examples=100, deadline=None)
@given(contributions)
def test_allocation_is_stable(weights: list[Decimal]) -> None:
    payout = round_payout(sum(weights, Decimal(0)), "EUR")
    if sum(weights, Decimal(0)) == 0:
        payout = Decimal(0)
    assert allocate(payout, weights, "EUR") == allocate(payout, list(weights), "EUR")


def test_minor_units_follow_iso_4217() -> None:
    assert (minor_unit("EUR"), minor_unit("JPY"), minor_unit("KWD")) == (
        Decimal("0.01"),
        Decimal(1),
        Decimal("0.001"),
    )
    assert round_payout(Decimal("1234.5"), "JPY") == Decimal("1234")  # half to even
    assert round_payout(Decimal("0.125"), "EUR") == Decimal("0.12")


def test_three_equal_thirds_of_a_cent_amount() -> None:
    # 1.00 over three equal weights: 0.33 each = 0.99; the cent left goes to the first -> 0.34, 0.33, 0.33
    assert allocate(Decimal("1.00"), [Decimal(1)] * 3, "EUR") == [
        Decimal("0.34"),
        Decimal("0.33"),
        Decimal("0.33"),
    ]

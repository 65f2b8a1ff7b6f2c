"""Which rate a conversion uses, and the conversion's arithmetic, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from analytics.fx.conversion import StoredRate, inverse, rate_used
from prm_contracts.money import Money

ON = date(2026, 7, 10)
EUR_USD = StoredRate("EUR", "USD", date(2026, 7, 1), Decimal("1.0842"))
USD_EUR_LATER = StoredRate("USD", "EUR", date(2026, 7, 8), Decimal("0.9200"))
USD_EUR_SAME_DAY = StoredRate("USD", "EUR", date(2026, 7, 1), Decimal("0.9200"))


def test_the_pairs_own_rate_converts_by_multiplying() -> None:
    used = rate_used("EUR", "USD", ON, direct=EUR_USD, reverse=None)

    assert used is not None
    assert (used.rate, used.effective_on, used.inverted) == (Decimal("1.0842"), date(2026, 7, 1), False)
    # 1234.5678 * 1.0842 = 1234.5678 + 103.95060876 = 1338.51840876 → 4 places: 1338.5184
    assert used.convert(Decimal("1234.5678")) == Decimal("1338.5184")


def test_only_the_reverse_pair_gives_the_inverse_and_the_conversion_divides() -> None:
    used = rate_used("USD", "EUR", ON, direct=None, reverse=EUR_USD)

    assert used is not None
    assert used.inverted
    # 1 / 1.0842 = 0.922339051835454…, shown to 10 places
    assert used.rate == Decimal("0.9223390518")
    assert used.stored_rate == Decimal("1.0842")
    # 100 / 1.0842 = 92.2339051835…: dividing, not multiplying by the rounded inverse
    assert used.convert(Decimal("100")) == Decimal("92.2339")
    assert used.convert_money(Money(amount=Decimal("100"), currency="USD")) == Money(
        amount=Decimal("92.2339"), currency="EUR"
    )


def test_the_more_recent_of_the_two_directions_wins_and_the_pairs_own_on_a_tie() -> None:
    later = rate_used("EUR", "USD", ON, direct=EUR_USD, reverse=USD_EUR_LATER)
    tie = rate_used("EUR", "USD", ON, direct=EUR_USD, reverse=USD_EUR_SAME_DAY)

    assert later is not None
    assert (later.inverted, later.effective_on) == (True, date(2026, 7, 8))
    assert tie is not None
    assert not tie.inverted


def test_no_rate_is_none_and_the_same_currency_is_one() -> None:
    same = rate_used("EUR", "EUR", ON, direct=None, reverse=None)

    assert rate_used("EUR", "JPY", ON, direct=None, reverse=None) is None
    assert same is not None
    assert (same.rate, same.effective_on) == (1, None)
    assert same.convert(Decimal("12.3456")) == Decimal("12.3456")


def test_half_even_rounding_at_the_fourth_place() -> None:
    used = rate_used("EUR", "USD", ON, direct=StoredRate("EUR", "USD", ON, Decimal("0.5")), reverse=None)

    assert used is not None
    # products that end in exactly 5 at the fifth place round to the even fourth digit:
    # 0.0001 * 0.5 = 0.00005 → 0.0000 (even); 0.0003 * 0.5 = 0.00015 → 0.0002 (even)
    assert used.convert(Decimal("0.0001")) == Decimal("0.0000")
    assert used.convert(Decimal("0.0003")) == Decimal("0.0002")
    with pytest.raises(ValueError, match="converts EUR"):
        used.convert_money(Money(amount=Decimal(1), currency="USD"))


def test_inverse_rounds_to_ten_places() -> None:
    # 1 / 3 = 0.3333333333|33… → 0.3333333333
    assert inverse(Decimal(3)) == Decimal("0.3333333333")

"""ISO dates and percentages as the contracts accept them: strings in one spelling, nothing else."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from prm_contracts.dates import IsoDate, PastOrTodayDate, utc_today
from prm_contracts.tiers import Percent, TierBenefits
from pydantic import TypeAdapter, ValidationError

DATE = TypeAdapter(IsoDate)
PAST = TypeAdapter(PastOrTodayDate)
PERCENT = TypeAdapter(Percent)


def test_an_iso_date_string_or_a_date_is_a_date() -> None:
    assert DATE.validate_python("2026-02-28") == date(2026, 2, 28)
    assert DATE.validate_python(date(2026, 2, 28)) == date(2026, 2, 28)
    assert DATE.dump_json(date(2026, 2, 28)) == b'"2026-02-28"'


@pytest.mark.parametrize(
    "value",
    [
        "2026-02-29",
        "2026-2-28",
        "28.02.2026",
        "2026-02-28T00:00:00",
        "٢٠٢٦-02-28",
        1767225600,
        None,
        datetime(2026, 2, 28),
    ],
)
def test_anything_else_is_refused(value: Any) -> None:
    with pytest.raises(ValidationError):
        DATE.validate_python(value)


def test_a_past_or_today_date_is_not_in_the_future() -> None:
    assert PAST.validate_python(utc_today().isoformat()) == utc_today()
    with pytest.raises(ValidationError, match="future"):
        PAST.validate_python((utc_today() + timedelta(days=1)).isoformat())


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", Decimal(0)), ("7.5", Decimal("7.5")), ("100", Decimal(100)), ("12.3456", Decimal("12.3456"))],
)
def test_a_percentage_is_a_decimal_string_from_0_to_100(text: str, value: Decimal) -> None:
    assert PERCENT.validate_python(text) == value


@pytest.mark.parametrize("value", ["100.0001", "-1", "1e1", "NaN", "7,5", 7.5, 7, "12.34567", ""])
def test_other_percentages_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError):
        PERCENT.validate_python(value)


def test_percentages_are_written_as_strings() -> None:
    benefits = TierBenefits(discount_percent=Decimal("7.50"))

    assert benefits.model_dump(mode="json")["discount_percent"] == "7.50"

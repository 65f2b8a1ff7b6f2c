"""ISO dates and percentages as the contracts accept them: strings in one spelling, nothing else."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from prm_contracts.dates import DATE_PATTERN, IsoDate, PastOrTodayDate, utc_today
from prm_contracts.periods import FIRST_YEAR, LAST_YEAR
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


@pytest.mark.parametrize("text", ["0001-01-01", "1899-12-31", "9999-12-31", "9999-01-01"])
def test_a_date_outside_the_years_1900_to_9998_is_refused_with_what_to_send(text: str) -> None:
    # 9999-12-31 as an "open end" and 0001-01-01 used to reach date arithmetic (the day after, 90 days
    # before) and end in a 500
    with pytest.raises(ValidationError) as refused:
        DATE.validate_python(text)
    (error,) = refused.value.errors()
    assert error["type"] == "date_out_of_range"
    assert "1900 to 9998" in error["msg"]
    assert "null" in error["msg"]
    with pytest.raises(ValidationError):
        PAST.validate_python(text)


def test_the_first_and_last_days_taken_leave_a_year_either_side() -> None:
    first, last = DATE.validate_python("1900-01-01"), DATE.validate_python("9998-12-31")

    # a year either side is still a date (Python's calendar is the years 1 to 9999)
    assert first - timedelta(days=366) == date(FIRST_YEAR - 2, 12, 31)  # 1899 has 365 days
    assert last + timedelta(days=365) == date(LAST_YEAR + 1, 12, 31) == date.max


def test_the_documented_pattern_takes_exactly_the_dates_the_parser_takes() -> None:
    # every four-digit year, at both ends of a year; and every month and day spelling of one year
    samples = [f"{year:04d}-{day}" for year in range(10_000) for day in ("01-01", "12-31")]
    samples += [f"2024-{month:02d}-{day:02d}" for month in range(13) for day in range(33)]
    for text in samples:
        try:
            DATE.validate_python(text)
            parsed = True
        except ValidationError:
            parsed = False
        documented = re.fullmatch(DATE_PATTERN, text) is not None
        # the pattern may take a day the calendar lacks (02-30): the parser says so; never the reverse
        assert documented or not parsed, text
        if documented and not parsed:
            assert text[:5] == "2024-", text
            assert text[5:] in {"02-30", "02-31", "04-31", "06-31", "09-31", "11-31"}, text
    assert DATE.json_schema()["pattern"] == DATE_PATTERN == PAST.json_schema()["pattern"]


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

"""Periods: `2026`, `2026-Q3`, `2026-07` and nothing else; their days, neighbours and validation messages."""

from __future__ import annotations

import re
from datetime import date

import pytest
from prm_contracts.periods import FIRST_YEAR, LAST_YEAR, PERIOD_PATTERN, PeriodKind, PeriodLabel, parse_period
from pydantic import TypeAdapter, ValidationError


@pytest.mark.parametrize(
    ("text", "kind", "first", "last", "label"),
    [
        ("2026", PeriodKind.YEAR, date(2026, 1, 1), date(2026, 12, 31), "2026"),
        ("2026-Q1", PeriodKind.QUARTER, date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
        (" 2026-q4 ", PeriodKind.QUARTER, date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        ("2024-02", PeriodKind.MONTH, date(2024, 2, 1), date(2024, 2, 29), "2024-02"),  # a leap year
        ("2026-12", PeriodKind.MONTH, date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
    ],
)
def test_a_period_covers_whole_days(text: str, kind: PeriodKind, first: date, last: date, label: str) -> None:
    period = parse_period(text)

    assert (period.kind, period.first_day, period.last_day, period.label) == (kind, first, last, label)
    assert period.end.toordinal() - period.last_day.toordinal() == 1
    assert first in period
    assert last in period
    assert period.end not in period


@pytest.mark.parametrize(
    ("text", "previous", "a_year_before"),
    [("2026", "2025", "2025"), ("2026-Q1", "2025-Q4", "2025-Q1"), ("2026-01", "2025-12", "2025-01")],
)
def test_neighbouring_periods(text: str, previous: str, a_year_before: str) -> None:
    period = parse_period(text)

    assert period.previous().label == previous
    assert period.a_year_before().label == a_year_before


@pytest.mark.parametrize(
    "text",
    [
        "",
        "26",
        "2026-Q5",
        "2026-Q0",
        "2026-13",
        "2026-7",
        "2026-07-01",
        "2026/07",
        "Q3-2026",
        "\uff12\uff10\uff12\uff16",
    ],
)
def test_anything_else_is_refused_saying_what_to_send(text: str) -> None:
    with pytest.raises(ValueError, match=r"a year \(2026\), a quarter \(2026-Q3\) or a month \(2026-07\)"):
        parse_period(text)


def test_years_outside_the_supported_range_are_refused() -> None:
    with pytest.raises(ValueError, match="between 1900 and 9998"):
        parse_period("1899-Q1")
    with pytest.raises(ValueError, match="between 1900 and 9998"):
        parse_period("9999")


def test_the_pydantic_type_takes_only_what_its_pattern_admits() -> None:
    adapter = TypeAdapter(PeriodLabel)

    assert adapter.validate_python("2026-Q3") == "2026-Q3"
    for loose in ("2026-q3", " 2026-Q3", "2026-Q3 ", "2026-Q3\n"):
        with pytest.raises(ValidationError, match=r"write the period .* as '2026-Q3'") as refused:
            adapter.validate_python(loose)
        assert PERIOD_PATTERN in str(refused.value)
    with pytest.raises(ValidationError, match="a quarter"):
        adapter.validate_python("2026-Q9")
    with pytest.raises(ValidationError):
        adapter.validate_python(2026)


def test_the_documented_pattern_matches_exactly_the_years_parse_period_takes() -> None:
    # every year with a four-digit label, as a year, a quarter and a month: the pattern and the parser agree
    for year in range(10_000):
        for label in (f"{year:04d}", f"{year:04d}-Q3", f"{year:04d}-07"):
            documented = re.fullmatch(PERIOD_PATTERN, label) is not None
            assert documented == (FIRST_YEAR <= year <= LAST_YEAR), label
    for year in (FIRST_YEAR, 2026, LAST_YEAR):
        assert parse_period(f"{year}-Q3").label == f"{year}-Q3"

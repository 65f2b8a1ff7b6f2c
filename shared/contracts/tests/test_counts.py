"""Whole numbers: what the document calls an integer (1990 or 1990.0) is taken, a string or a boolean is not."""

from __future__ import annotations

from typing import Any

import pytest
from prm_contracts.partners import EmployeeCount, YearFounded
from pydantic import TypeAdapter, ValidationError

EMPLOYEES = TypeAdapter(EmployeeCount)


@pytest.mark.parametrize(("sent", "taken"), [(250, 250), (250.0, 250), (0.0, 0)])
def test_an_integer_or_an_integral_float_is_a_whole_number(sent: Any, taken: int) -> None:
    value = EMPLOYEES.validate_python(sent)

    assert (value, type(value)) == (taken, int)
    assert EMPLOYEES.validate_json(f"{sent}") == taken  # as JSON: 250.0 is an integer to JSON Schema


@pytest.mark.parametrize("sent", ["250", True, 250.5, float("inf"), float("nan"), None])
def test_strings_booleans_and_fractions_are_refused(sent: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        EMPLOYEES.validate_python(sent)

    assert refused.value.errors()[0]["type"] == "int_type"


def test_the_bounds_still_hold_after_the_conversion() -> None:
    with pytest.raises(ValidationError, match="less than or equal"):
        EMPLOYEES.validate_json("1e12")
    with pytest.raises(ValidationError, match="year_founded cannot be in the future"):
        TypeAdapter(YearFounded).validate_json("51137115.0")

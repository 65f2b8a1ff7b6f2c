"""Whole numbers: what the document calls an integer (1990 or 1990.0) is taken, a string or a boolean is not."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from prm_contracts.counts import MAX_VERSION_NUMBER, VersionNumber
from prm_contracts.incentives import BacktestSide, CalculationRunIn
from prm_contracts.partners import EmployeeCount, YearFounded
from prm_contracts.scoring import InputValue, NewModelVersionIn
from pydantic import BaseModel, TypeAdapter, ValidationError

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
    years = TypeAdapter(YearFounded)
    with pytest.raises(ValidationError, match="less than or equal to 9999"):
        years.validate_json("51137115.0")
    with pytest.raises(ValidationError, match="year_founded cannot be in the future"):
        years.validate_json(f"{datetime.now(UTC).year + 1}.0")


def test_a_version_number_is_bounded_far_inside_the_database_integer() -> None:
    versions = TypeAdapter(VersionNumber)

    assert versions.validate_python(MAX_VERSION_NUMBER) == MAX_VERSION_NUMBER
    for sent in (0, MAX_VERSION_NUMBER + 1, 2**70):
        with pytest.raises(ValidationError):
            versions.validate_python(sent)


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (CalculationRunIn, {"programme_id": str(uuid4()), "period": "2026-Q3", "version": 2**63}),
        (BacktestSide, {"version": 2**70}),
        (NewModelVersionIn, {"copy_from": 2**31}),
    ],
)
def test_every_version_a_request_names_is_a_bounded_version_number(
    model: type[BaseModel], body: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError, match="less than or equal to 1000000"):
        model.model_validate(body)


def test_a_whole_criterion_input_has_the_decimal_strings_nine_digits() -> None:
    inputs = TypeAdapter(InputValue)

    assert inputs.validate_python(999_999_999) == 999_999_999
    assert inputs.validate_python(-999_999_999) == -999_999_999
    assert inputs.validate_python("999999999.5") == Decimal("999999999.5")
    for sent in (1_000_000_000, -1_000_000_000, 10**400):
        with pytest.raises(ValidationError, match="a whole number must be between"):
            inputs.validate_python(sent)
    with pytest.raises(ValidationError):
        inputs.validate_python("1000000000")  # the string form's bound, for comparison

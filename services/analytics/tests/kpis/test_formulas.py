"""The KPI values formulas make (rounded half even, null when out of range) survive the contract's parse unchanged."""

from __future__ import annotations

from decimal import Decimal

import pytest
from analytics.kpis.formulas import AMOUNT_QUANTUM, RATIO, RATIO_QUANTUM, known, ratio_kpi
from hypothesis import given
from hypothesis import strategies as st
from prm_contracts.kpis import Kpi

pytestmark = pytest.mark.backend_independent

_DECIMALS = st.decimals(min_value=-(10**16), max_value=10**16, allow_nan=False, places=8)


@given(_DECIMALS, st.sampled_from([(AMOUNT_QUANTUM, "EUR"), (RATIO_QUANTUM, RATIO)]))
def test_a_known_value_is_the_contracts_own_parse_of_it(
    value: Decimal, quantum_and_unit: tuple[Decimal, str]
) -> None:
    quantum, unit = quantum_and_unit
    made = known(value, unit, quantum)

    parsed = Kpi.model_validate_json(made.model_dump_json())

    assert parsed == made
    assert parsed.model_dump_json() == made.model_dump_json()
    assert made.model_fields_set == Kpi(value=None, reason=None, unit=unit).model_fields_set


def test_values_by_hand() -> None:
    assert known(Decimal("1234.56785"), "EUR", AMOUNT_QUANTUM).model_dump(mode="json") == {
        "value": "1234.5678",  # half even
        "reason": None,
        "unit": "EUR",
    }
    assert known(Decimal(10) ** 15, "EUR", AMOUNT_QUANTUM).reason == "out_of_range"
    # a ratio of 10^23 (a huge revenue over a tiny target) cannot even be quantized in 28 digits: still null
    assert ratio_kpi(Decimal(10) ** 19, Decimal("0.0001"), zero_reason="none").reason == "out_of_range"
    assert known(Decimal("-1E+40"), RATIO, RATIO_QUANTUM).reason == "out_of_range"
    assert ratio_kpi(Decimal(1), Decimal(3), zero_reason="none").value == Decimal("0.333333")
    assert ratio_kpi(Decimal(2), Decimal(3), zero_reason="none").value == Decimal("0.666667")

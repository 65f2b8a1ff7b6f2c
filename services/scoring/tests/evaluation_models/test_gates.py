"""Gates alone (no database): each kind against facts, with the rule, the actual value and the threshold."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from prm_contracts.money import Money
from prm_contracts.scoring import Gate, GateFacts, GateResult
from pydantic import TypeAdapter
from scoring.evaluation_models.gates import check_gates

pytestmark = pytest.mark.backend_independent

GATES = TypeAdapter(list[Gate])


def gates(*definitions: dict[str, Any]) -> list[Any]:
    return GATES.validate_python(list(definitions))


def test_each_gate_reports_rule_actual_and_threshold() -> None:
    facts = GateFacts(
        years_in_business=4,
        employees=9,
        annual_revenue=Money(amount=Decimal("250000.00"), currency="EUR"),
        certified_technical_contact=True,
        open_compliance_violations=2,
        answers={"vendor_certified": True, "region": "DACH", "engineers": "3.5"},
    )

    results = check_gates(
        gates(
            {"type": "years_in_business", "key": "years", "min_years": 3},
            {"type": "employees", "key": "staff", "min_employees": 10},
            {
                "type": "annual_revenue",
                "key": "revenue",
                "min_revenue": {"amount": "250000", "currency": "EUR"},
            },
            {"type": "certified_technical_contact", "key": "contact"},
            {"type": "no_open_compliance_violation", "key": "compliance"},
            {
                "type": "questionnaire",
                "key": "cert",
                "question": "vendor_certified",
                "operator": "equals",
                "value": True,
            },
            {
                "type": "questionnaire",
                "key": "where",
                "question": "region",
                "operator": "in",
                "value": ["DACH", "UK"],
            },
            {
                "type": "questionnaire",
                "key": "eng",
                "question": "engineers",
                "operator": "at_least",
                "value": "4",
            },
        ),
        facts,
    )

    assert [(r.gate, r.passed, r.actual, r.threshold) for r in results] == [
        ("years", True, "4", "3"),
        ("staff", False, "9", "10"),
        ("revenue", True, "250000.00 EUR", "250000 EUR"),
        ("contact", True, "yes", "yes"),
        ("compliance", False, "2", "0"),
        ("cert", True, "true", "true"),
        ("where", True, '"DACH"', '["DACH", "UK"]'),
        ("eng", False, '"3.5"', "4"),
    ]
    assert results[1].rule == "employees >= 10"
    assert results[2].rule == "annual revenue >= 250000 EUR"


def test_an_unknown_fact_fails_its_gate_as_not_provided() -> None:
    results = check_gates(
        gates(
            {"type": "employees", "key": "staff", "min_employees": 1},
            {"type": "certified_technical_contact", "key": "contact"},
            {"type": "questionnaire", "key": "q", "question": "absent", "operator": "equals", "value": "x"},
        ),
        GateFacts(),
    )

    assert [r.passed for r in results] == [False, False, False]
    assert all(r.actual is None and r.detail and "not provided" in r.detail for r in results)


def test_revenue_in_another_currency_fails_and_says_why() -> None:
    facts = GateFacts(annual_revenue=Money(amount=Decimal("9000000"), currency="USD"))

    (result,) = check_gates(
        gates(
            {"type": "annual_revenue", "key": "revenue", "min_revenue": {"amount": "100", "currency": "EUR"}}
        ),
        facts,
    )

    assert result == GateResult(
        gate="revenue",
        passed=False,
        rule="annual revenue >= 100 EUR",
        actual="9000000 USD",
        threshold="100 EUR",
        detail="annual revenue is reported in USD, the threshold is in EUR; scoring converts no currencies",
    )


def test_equals_compares_json_values_with_their_type() -> None:
    (result,) = check_gates(
        gates({"type": "questionnaire", "key": "q", "question": "a", "operator": "equals", "value": True}),
        GateFacts(answers={"a": 1}),
    )

    assert result.passed is False

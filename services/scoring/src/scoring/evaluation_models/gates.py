"""Checking the gates (minimum requirements) of a model version against the facts; pure, no I/O.

A gate whose fact is not known fails, saying it was not provided: a minimum requirement is met only when it
is shown to be met. Revenue is compared only in the threshold's currency (scoring converts no currencies).
Questionnaire answers compare as JSON values (`true` is not `1`); `at_least` needs a whole number or a decimal
string.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from prm_contracts.scoring import (
    AnnualRevenueGate,
    CertifiedTechnicalContactGate,
    EmployeesGate,
    GateFacts,
    GateResult,
    NoOpenComplianceViolationGate,
    QuestionnaireGate,
    YearsInBusinessGate,
    parse_decimal,
)

AnyGate = (
    YearsInBusinessGate
    | AnnualRevenueGate
    | EmployeesGate
    | CertifiedTechnicalContactGate
    | NoOpenComplianceViolationGate
    | QuestionnaireGate
)
NOT_PROVIDED = "not provided"


def _at_least(gate: AnyGate, what: str, actual: int | None, minimum: int) -> GateResult:
    rule = f"{what} >= {minimum}"
    if actual is None:
        return GateResult(
            gate=gate.key, passed=False, rule=rule, threshold=str(minimum), detail=f"{what}: {NOT_PROVIDED}"
        )
    passed = actual >= minimum
    return GateResult(
        gate=gate.key,
        passed=passed,
        rule=rule,
        actual=str(actual),
        threshold=str(minimum),
        detail=f"{what}: {actual}, at least {minimum} required",
    )


def _revenue(gate: AnnualRevenueGate, facts: GateFacts) -> GateResult:
    minimum = gate.min_revenue
    threshold = f"{format(minimum.amount, 'f')} {minimum.currency}"
    rule = f"annual revenue >= {threshold}"
    revenue = facts.annual_revenue
    if revenue is None:
        return GateResult(
            gate=gate.key,
            passed=False,
            rule=rule,
            threshold=threshold,
            detail=f"annual revenue: {NOT_PROVIDED}",
        )
    actual = f"{format(revenue.amount, 'f')} {revenue.currency}"
    if revenue.currency != minimum.currency:
        return GateResult(
            gate=gate.key,
            passed=False,
            rule=rule,
            actual=actual,
            threshold=threshold,
            detail=f"annual revenue is reported in {revenue.currency}, the threshold is in {minimum.currency}; "
            "scoring converts no currencies",
        )
    passed = revenue.amount >= minimum.amount
    return GateResult(
        gate=gate.key,
        passed=passed,
        rule=rule,
        actual=actual,
        threshold=threshold,
        detail=f"annual revenue {actual}, at least {threshold} required",
    )


def _certified_contact(gate: CertifiedTechnicalContactGate, facts: GateFacts) -> GateResult:
    rule = "a certified technical contact"
    known = facts.certified_technical_contact
    if known is None:
        return GateResult(
            gate=gate.key,
            passed=False,
            rule=rule,
            threshold="yes",
            detail=f"certified technical contact: {NOT_PROVIDED}",
        )
    return GateResult(
        gate=gate.key,
        passed=known,
        rule=rule,
        actual="yes" if known else "no",
        threshold="yes",
        detail="has a certified technical contact" if known else "no certified technical contact",
    )


def _compliance(gate: NoOpenComplianceViolationGate, facts: GateFacts) -> GateResult:
    rule = "no open compliance violation"
    count = facts.open_compliance_violations
    if count is None:
        return GateResult(
            gate=gate.key,
            passed=False,
            rule=rule,
            threshold="0",
            detail=f"open compliance violations: {NOT_PROVIDED}",
        )
    return GateResult(
        gate=gate.key,
        passed=count == 0,
        rule=rule,
        actual=str(count),
        threshold="0",
        detail=f"{count} open compliance violation(s)",
    )


def _same_json(answer: Any, expected: Any) -> bool:
    return type(answer) is type(expected) and answer == expected


def _answer_number(answer: Any) -> Decimal | None:
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int):
        return Decimal(answer)
    try:
        return parse_decimal(answer)
    except ValueError:
        return None


def _questionnaire(gate: QuestionnaireGate, facts: GateFacts) -> GateResult:
    expected = format(gate.value, "f") if isinstance(gate.value, Decimal) else json.dumps(gate.value)
    wording = {"equals": "equals", "in": "is one of", "at_least": ">="}[gate.operator]
    rule = f"answer to {gate.question!r} {wording} {expected}"
    if gate.question not in facts.answers:
        return GateResult(
            gate=gate.key,
            passed=False,
            rule=rule,
            threshold=expected,
            detail=f"{gate.question!r}: {NOT_PROVIDED}",
        )
    answer = facts.answers[gate.question]
    actual = json.dumps(answer, ensure_ascii=False)[:200]
    if gate.operator == "equals":
        passed = _same_json(answer, gate.value)
    elif gate.operator == "in":
        passed = any(_same_json(answer, option) for option in gate.value)
    else:
        number = _answer_number(answer)
        if number is None:
            return GateResult(
                gate=gate.key,
                passed=False,
                rule=rule,
                actual=actual,
                threshold=expected,
                detail=f"the answer to {gate.question!r} is not a whole number or a decimal string",
            )
        passed = number >= gate.value
    return GateResult(
        gate=gate.key,
        passed=passed,
        rule=rule,
        actual=actual,
        threshold=expected,
        detail=f"answered {actual}",
    )


def check_gate(gate: AnyGate, facts: GateFacts) -> GateResult:
    if isinstance(gate, YearsInBusinessGate):
        return _at_least(gate, "years in business", facts.years_in_business, gate.min_years)
    if isinstance(gate, EmployeesGate):
        return _at_least(gate, "employees", facts.employees, gate.min_employees)
    if isinstance(gate, AnnualRevenueGate):
        return _revenue(gate, facts)
    if isinstance(gate, CertifiedTechnicalContactGate):
        return _certified_contact(gate, facts)
    if isinstance(gate, NoOpenComplianceViolationGate):
        return _compliance(gate, facts)
    return _questionnaire(gate, facts)


def check_gates(gates: Sequence[AnyGate], facts: GateFacts) -> list[GateResult]:
    """Each gate's result, in the version's order."""
    return [check_gate(gate, facts) for gate in gates]

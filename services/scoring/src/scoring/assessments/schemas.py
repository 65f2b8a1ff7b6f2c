"""Scores as answered: from the maths' result, and from stored assessments (bodies in `prm_contracts.scoring`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from prm_contracts.scoring import (
    AssessmentOut,
    CriterionResult,
    CriterionStatus,
    GateFacts,
    GateResult,
    InputValue,
    ScoreOut,
)
from pydantic import TypeAdapter

from scoring.evaluation_models.maths import CriterionOutcome, RawInput, Result

if TYPE_CHECKING:
    from scoring.assessments.models import Assessment, AssessmentCriterion

_INPUT: TypeAdapter[RawInput] = TypeAdapter(InputValue)
_INPUTS = TypeAdapter(dict[str, InputValue])
_GATE_RESULTS = TypeAdapter(list[GateResult])


def dump_input(value: RawInput | None) -> Any:
    return None if value is None else _INPUT.dump_python(value, mode="json")


def dump_inputs(inputs: dict[str, RawInput]) -> dict[str, Any]:
    dumped: dict[str, Any] = _INPUTS.dump_python(inputs, mode="json")
    return dumped


def dump_gate_results(results: list[GateResult]) -> list[dict[str, Any]]:
    dumped: list[dict[str, Any]] = _GATE_RESULTS.dump_python(results, mode="json")
    return dumped


def criterion_result(outcome: CriterionOutcome) -> CriterionResult:
    return CriterionResult(
        key=outcome.key,
        label=outcome.label,
        dimension=outcome.dimension,
        status=outcome.status,
        raw_input=outcome.raw_input,
        normalised=outcome.normalised,
        weight=outcome.weight,
        contribution=outcome.contribution,
    )


def score_out(model: str, model_version: int, result: Result, gates: list[GateResult]) -> ScoreOut:
    return ScoreOut(
        model=model,
        model_version=model_version,
        complete=result.complete,
        total=result.total,
        grade=result.grade,
        gates_passed=all(gate.passed for gate in gates),
        gates=gates,
        criteria=[criterion_result(outcome) for outcome in result.criteria],
    )


def stored_inputs(assessment: Assessment) -> dict[str, RawInput]:
    parsed: dict[str, RawInput] = _INPUTS.validate_python(assessment.inputs)
    return parsed


def assessment_out(assessment: Assessment, criteria: Sequence[AssessmentCriterion]) -> AssessmentOut:
    return AssessmentOut(
        id=assessment.id,
        partner_id=assessment.partner_id,
        model=assessment.model_name,
        model_version=assessment.model_version_number,
        complete=assessment.complete,
        total=assessment.total,
        grade=assessment.grade,
        gates_passed=assessment.gates_passed,
        gates=_GATE_RESULTS.validate_python(assessment.gate_results),
        criteria=[
            CriterionResult(
                key=row.key,
                label=row.label,
                dimension=row.dimension,
                status=CriterionStatus(row.status),
                raw_input=None if row.raw_input is None else _INPUT.validate_python(row.raw_input),
                normalised=row.normalised,
                weight=row.weight,
                contribution=row.contribution,
            )
            for row in sorted(criteria, key=lambda row: row.position)
        ],
        inputs=stored_inputs(assessment),
        facts=GateFacts.model_validate(assessment.facts),
        assessor=assessment.assessor,
        assessed_on=assessment.assessed_on,
        evidence_notes=assessment.evidence_notes,
        created_by=assessment.created_by,
        created_at=assessment.created_at,
    )

"""Screening applicants for the registry: the gates and the evaluation of the configured model's current
published version, computed from the request alone (nothing is stored, so the registry may ask again)."""

from __future__ import annotations

from datetime import date

from prm_contracts.problem import ServiceUnavailable
from prm_contracts.scoring import (
    ApplicantFacts,
    ApplicationEvaluation,
    CriterionScore,
    CriterionStatus,
    PrequalificationResult,
)
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.evaluation_models.gates import check_gates
from scoring.evaluation_models.maths import score
from scoring.evaluation_models.schemas import Definition
from scoring.evaluation_models.service import scoring_definition
from scoring.screening.applicants import criterion_inputs, gate_facts


async def _current(session: AsyncSession, model_name: str) -> Definition:
    found = await scoring_definition(session, model_name, None)
    if found is None:
        raise ServiceUnavailable(
            f"the evaluation model {model_name!r} has no published version to screen applications with"
        )
    return found[1]


def _version_label(definition: Definition) -> str:
    return f"{definition.model_name}@{definition.number}"


async def prequalify(
    session: AsyncSession, applicant: ApplicantFacts, *, model_name: str, today: date
) -> PrequalificationResult:
    definition = await _current(session, model_name)
    gates = check_gates(definition.gates, gate_facts(applicant, today=today))
    return PrequalificationResult(
        passed=all(gate.passed for gate in gates), gates=gates, model_version=_version_label(definition)
    )


async def evaluate(
    session: AsyncSession, applicant: ApplicantFacts, *, model_name: str, today: date
) -> ApplicationEvaluation:
    definition = await _current(session, model_name)
    result = score(
        definition.criteria,
        criterion_inputs(applicant, definition.criteria, today=today),
        definition.grade_bands,
    )
    counted = [c for c in result.criteria if c.weight is not None and c.normalised is not None]
    return ApplicationEvaluation(
        score=result.total,
        grade=result.grade,
        criteria=[
            CriterionScore(
                criterion=c.key,
                dimension=c.dimension,
                weight=c.weight,
                score=c.normalised,
                contribution=c.contribution,
            )
            for c in counted
        ],
        unscored=[
            c.key for c in result.criteria if c.status in {CriterionStatus.EXCLUDED, CriterionStatus.MISSING}
        ],
        model_version=_version_label(definition),
    )

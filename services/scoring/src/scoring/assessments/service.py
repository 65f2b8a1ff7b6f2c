"""Assessments: a partner scored under a published model version, with the gates checked, kept as evidence.

The model version and the inputs are checked first (nothing else is asked when they are wrong), then the
registry is asked for the partner's facts with no transaction open (read, call, then write): who it is
(unknown → 422), its founding year, employees and revenue, and its compliance summary when a gate reads it.
An assessment never changes; re-scoring it under another version (what-if) computes, and stores nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from prm_contracts.clients.registry import RegistryClient
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import NotFound, UnprocessableContent, ValidationIssue
from prm_contracts.scoring import (
    AssessmentIn,
    AssessmentOut,
    GateFacts,
    NoOpenComplianceViolationGate,
    RescoringOut,
    VersionStatus,
)
from prm_kit.db import end_reading, ordered_id
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.assessments import repository
from scoring.assessments.models import Assessment, AssessmentCriterion
from scoring.assessments.schemas import (
    assessment_out,
    dump_gate_results,
    dump_input,
    dump_inputs,
    score_out,
    stored_inputs,
)
from scoring.evaluation_models.gates import check_gates
from scoring.evaluation_models.maths import RawInput, Result, UnfitInput, score
from scoring.evaluation_models.models import EvaluationModelVersion
from scoring.evaluation_models.schemas import Definition
from scoring.evaluation_models.service import scoring_definition
from scoring.scores import service as scores

ORDER = "-created_at"


def _invalid(detail: str, loc: list[str | int], kind: str, msg: str | None = None) -> UnprocessableContent:
    return UnprocessableContent(detail, errors=[ValidationIssue(loc=loc, msg=msg or detail, type=kind)])


async def _definition(
    session: AsyncSession, model: str, number: int | None, *, loc: list[str | int], published_only: bool
) -> tuple[EvaluationModelVersion, Definition]:
    found = await scoring_definition(session, model, number)
    if found is None:
        what = (
            f"version {number} of the model {model!r}"
            if number
            else f"a published version of the model {model!r}"
        )
        raise _invalid(f"there is no {what}", loc, "model_version_unknown")
    version, definition = found
    if published_only and version.status != VersionStatus.PUBLISHED.value:
        raise _invalid(
            f"version {version.number} of {model!r} is a draft; assessments are scored with published versions "
            "only (a draft may be tried with the what-if re-scoring)",
            loc,
            "model_version_draft",
        )
    return version, definition


def _scored(definition: Definition, inputs: dict[str, RawInput], *, loc: list[str | int]) -> Result:
    """The score of `inputs`; 422 naming every key no criterion has, or an input of the wrong kind."""
    keys = {criterion.key for criterion in definition.criteria}
    unknown = sorted(set(inputs) - keys)
    if unknown:
        raise UnprocessableContent(
            f"version {definition.number} of {definition.model_name!r} has no criteria {', '.join(unknown)}; "
            f"its criteria are {', '.join(sorted(keys))}",
            errors=[
                ValidationIssue(
                    loc=[*loc, key], msg="not a criterion of the model version", type="criterion_unknown"
                )
                for key in unknown
            ],
        )
    try:
        return score(definition.criteria, inputs, definition.grade_bands)
    except UnfitInput as error:
        key = str(error).split(":", 1)[0]
        raise _invalid(str(error), [*loc, key], "input_unfit") from error


async def _facts(
    registry: RegistryClient, body: AssessmentIn, definition: Definition, *, today: date
) -> GateFacts:
    """The gate facts: the registry's record of the partner, and what the assessor supplied."""
    try:
        partner = await registry.partner(body.partner_id)
    except NotFound as error:
        raise _invalid(
            f"the registry has no partner {body.partner_id}", ["body", "partner_id"], "partner_unknown"
        ) from error
    violations = None
    if any(isinstance(gate, NoOpenComplianceViolationGate) for gate in definition.gates):
        violations = (await registry.compliance_summary(body.partner_id)).open_violations_total
    return GateFacts(
        years_in_business=None if partner.year_founded is None else max(today.year - partner.year_founded, 0),
        employees=partner.employee_count,
        annual_revenue=partner.annual_revenue,
        certified_technical_contact=body.facts.certified_technical_contact,
        open_compliance_violations=violations,
        answers=body.facts.answers,
    )


async def submit(
    session: AsyncSession, registry: RegistryClient, body: AssessmentIn, *, actor: Principal, now: datetime
) -> AssessmentOut:
    """Score and store an assessment of a partner; the vendor's, never a partner's own credential."""
    actor.require_vendor("submit assessments")
    version, definition = await _definition(
        session, body.model, body.model_version, loc=["body", "model_version"], published_only=True
    )
    inputs: dict[str, RawInput] = dict(body.inputs)
    result = _scored(definition, inputs, loc=["body", "inputs"])
    await end_reading(session)
    facts = await _facts(registry, body, definition, today=now.date())
    gates = check_gates(definition.gates, facts)

    assessment = Assessment(
        id=ordered_id(),
        partner_id=body.partner_id,
        model_version_id=version.id,
        model_name=definition.model_name,
        model_version_number=definition.number,
        inputs=dump_inputs(inputs),
        facts=facts.model_dump(mode="json"),
        assessor=body.assessor,
        assessed_on=body.assessed_on,
        evidence_notes=body.evidence_notes,
        complete=result.complete,
        total=result.total,
        grade=result.grade,
        gates_passed=all(gate.passed for gate in gates),
        gate_results=dump_gate_results(gates),
        created_by=actor.subject,
        created_at=now,
    )
    criteria = [
        AssessmentCriterion(
            assessment_id=assessment.id,
            key=outcome.key,
            position=position,
            label=outcome.label,
            dimension=outcome.dimension,
            status=outcome.status.value,
            raw_input=dump_input(outcome.raw_input),
            normalised=outcome.normalised,
            weight=outcome.weight,
            contribution=outcome.contribution,
        )
        for position, outcome in enumerate(result.criteria)
    ]
    await repository.add(session, assessment, criteria)
    await scores.assessment_recorded(session, assessment, criteria, now=now)  # the stored score follows
    return assessment_out(assessment, criteria)


async def visible_assessment(session: AsyncSession, assessment_id: UUID, *, viewer: Principal) -> Assessment:
    """The assessment; another partner's is as unknown to a partner's own credential as a missing one."""
    assessment = await repository.assessment_by_id(session, assessment_id)
    if assessment is None or (viewer.partner_id is not None and assessment.partner_id != viewer.partner_id):
        raise NotFound(f"no assessment {assessment_id}")
    return assessment


async def get_assessment(session: AsyncSession, assessment_id: UUID, *, viewer: Principal) -> AssessmentOut:
    assessment = await visible_assessment(session, assessment_id, viewer=viewer)
    criteria = await repository.criteria_of(session, [assessment.id])
    return assessment_out(assessment, criteria[assessment.id])


async def list_assessments(
    session: AsyncSession, *, partner_id: UUID | None, viewer: Principal, limit: int, cursor: str | None
) -> Page[AssessmentOut]:
    """Assessments newest first (a partner's history with `partner_id`); a partner's own credential sees its
    own only, and another partner's history as empty."""
    after = keyset_position(cursor, ORDER, datetime)
    if viewer.partner_id is not None:
        if partner_id is not None and partner_id != viewer.partner_id:
            return Page[AssessmentOut](items=[])
        partner_id = viewer.partner_id
    assessments = await repository.assessment_page(
        session, partner_id=partner_id, after=after, limit=limit + 1
    )
    criteria = await repository.criteria_of(session, [a.id for a in assessments[:limit]])
    return page_of(
        assessments,
        limit,
        out=lambda a: assessment_out(a, criteria[a.id]),
        cursor_of=lambda a: keyset_cursor(ORDER, a.created_at, a.id),
    )


async def rescore(
    session: AsyncSession,
    assessment_id: UUID,
    *,
    model: str | None,
    model_version: int,
    viewer: Principal,
) -> RescoringOut:
    """The stored assessment's inputs and gate facts scored under another version (a draft too): what-if.
    Nothing is stored; the assessment keeps its own version and score."""
    assessment = await visible_assessment(session, assessment_id, viewer=viewer)
    _, definition = await _definition(
        session,
        model or assessment.model_name,
        model_version,
        loc=["query", "model_version"],
        published_only=False,
    )
    result = _scored(definition, stored_inputs(assessment), loc=["query", "model_version"])
    gates = check_gates(definition.gates, GateFacts.model_validate(assessment.facts))
    scored = score_out(definition.model_name, definition.number, result, gates)
    return RescoringOut(
        **scored.model_dump(),
        assessment_id=assessment.id,
        stored_model_version=assessment.model_version_number,
        stored_total=assessment.total,
    )

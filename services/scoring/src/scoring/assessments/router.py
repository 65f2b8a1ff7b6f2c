"""HTTP of assessments: `/v1/assessments`, a partner's history of them, and what-if re-scoring."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.counts import MAX_VERSION_NUMBER
from prm_contracts.pagination import Page
from prm_contracts.scoring import AssessmentIn, AssessmentOut, ModelName, RescoringOut
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from scoring.assessments import service
from scoring.clients import RegistryDep

router = APIRouter(prefix="/v1/assessments", tags=["assessments"])

READ = require("scoring:read")
WRITE = require("scoring:write")


@router.post(
    "",
    status_code=201,
    response_model=AssessmentOut,
    summary="Submit an assessment of a partner",
    responses=problems(403, 422, 503),
    dependencies=[WRITE],
)
async def submit_assessment(
    body: AssessmentIn,
    session: SessionDep,
    who: PrincipalDep,
    registry: RegistryDep,
    idempotency: IdempotencyDep,
    now: NowDep,
) -> Response:
    """Scores the inputs (by criterion key) under the model's current published version, or the published
    `model_version` named, checks the gates against the registry's facts of the partner and the facts
    supplied, and stores it all: total (0-100, 2 decimals), grade, each gate's rule, actual value and
    threshold, and each criterion's raw input, normalised value, weight and contribution (the contributions
    sum to exactly the total). 422 for an unknown partner, model or version, a draft version, an input key no
    criterion has or an input of the wrong kind; a missing input follows its criterion's rule (`zero`,
    `exclude`, `incomplete`: then no total). 503 when the registry cannot be asked. Not open to a partner's
    own credential."""
    assessment = await service.submit(session, registry, body, actor=who, now=now)
    return await created(session, idempotency, assessment, location=f"/v1/assessments/{assessment.id}")


@router.get(
    "",
    response_model=Page[AssessmentOut],
    summary="List assessments",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_assessments(
    session: SessionDep,
    who: PrincipalDep,
    partner_id: Annotated[UUID | None, Query(description="Only this partner's: its history.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AssessmentOut]:
    """Assessments, newest first. A partner's own credential sees its own only."""
    return await service.list_assessments(
        session, partner_id=partner_id, viewer=who, limit=limit, cursor=cursor
    )


@router.get(
    "/{assessment_id}",
    response_model=AssessmentOut,
    summary="Get an assessment",
    responses=problems(403, 404),
    dependencies=[READ],
)
async def get_assessment(assessment_id: UUID, session: SessionDep, who: PrincipalDep) -> AssessmentOut:
    """The assessment with its score's explanation. Another partner's is 404 to a partner's own credential."""
    return await service.get_assessment(session, assessment_id, viewer=who)


@router.get(
    "/{assessment_id}/rescoring",
    response_model=RescoringOut,
    summary="Re-score an assessment under another model version (what-if)",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def rescore_assessment(
    assessment_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    model_version: Annotated[
        int, Query(ge=1, le=MAX_VERSION_NUMBER, description="The version to score with.")
    ],
    model: Annotated[ModelName | None, Query(description="Another model; default: the assessment's.")] = None,
) -> RescoringOut:
    """The assessment's stored inputs and gate facts scored under `model_version` (a draft too), beside its
    stored version and total. Nothing is stored. 422 when that version lacks a criterion the inputs name."""
    return await service.rescore(session, assessment_id, model=model, model_version=model_version, viewer=who)

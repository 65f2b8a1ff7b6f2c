"""HTTP of screening: the two internal endpoints the registry calls for each application (not public)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from prm_contracts.principal import INTERNAL_SCOPE
from prm_contracts.problem import Forbidden
from prm_contracts.scoring import (
    APPLICATION_EVALUATION_PATH,
    PREQUALIFICATION_PATH,
    ApplicationEvaluation,
    ApplicationEvaluationRequest,
    PrequalificationRequest,
    PrequalificationResult,
)
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.internal_auth import PrincipalDep

from scoring.config import SettingsDep
from scoring.screening import service


def _internal_service_only(who: PrincipalDep) -> None:
    """Only a PRM service's own credential: these answer the registry, not API keys."""
    if INTERNAL_SCOPE not in who.effective_scopes:
        raise Forbidden("only PRM services may screen applications")


router = APIRouter(include_in_schema=False, dependencies=[Depends(_internal_service_only)])


@router.post(PREQUALIFICATION_PATH, response_model=PrequalificationResult)
async def prequalify_applicant(
    body: PrequalificationRequest, session: SessionDep, settings: SettingsDep, now: NowDep
) -> PrequalificationResult:
    """The applicant checked against the gates of the application model's current published version."""
    return await service.prequalify(
        session, body.applicant, model_name=settings.application_model, today=now.date()
    )


@router.post(APPLICATION_EVALUATION_PATH, response_model=ApplicationEvaluation)
async def evaluate_applicant(
    body: ApplicationEvaluationRequest, session: SessionDep, settings: SettingsDep, now: NowDep
) -> ApplicationEvaluation:
    """The applicant's weighted evaluation under the application model's current published version."""
    return await service.evaluate(
        session, body.applicant, model_name=settings.application_model, today=now.date()
    )

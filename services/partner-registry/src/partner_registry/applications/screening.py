"""Screening an applicant with scoring: the pre-qualification gates and the evaluation score.

Scoring being down must not lose an application: any failure to get both answers leaves the screening
`pending` with the reason, and `POST /v1/applications/{id}/screening` asks again later.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from prm_contracts.applications import ScreeningStatus
from prm_contracts.clients.scoring import ScoringClient
from prm_contracts.problem import AppError
from prm_contracts.scoring import (
    ApplicantFacts,
    ApplicationEvaluation,
    ApplicationEvaluationRequest,
    PrequalificationRequest,
    PrequalificationResult,
)

_log = structlog.get_logger("screening")


@dataclass(frozen=True)
class Screening:
    status: ScreeningStatus
    prequalification: PrequalificationResult | None = None
    evaluation: ApplicationEvaluation | None = None
    error: str | None = None


async def screen(scoring: ScoringClient, applicant: ApplicantFacts) -> Screening:
    """Ask scoring for both answers; `passed`/`failed` by the gates, `pending` when either is missing.

    The evaluation is asked for even when a gate fails: whoever decides may approve against the gates
    (with a reason) and then wants the score.
    """
    try:
        prequalification = await scoring.prequalify(PrequalificationRequest(applicant=applicant))
        evaluation = await scoring.evaluate_application(ApplicationEvaluationRequest(applicant=applicant))
    except AppError as error:
        _log.warning(
            "screening_pending", application_id=str(applicant.application_id), error=type(error).__name__
        )
        reason = f"scoring: {error.title}" + (f": {error.detail}" if error.detail else "")
        return Screening(status=ScreeningStatus.PENDING, error=reason[:500])
    status = ScreeningStatus.PASSED if prequalification.passed else ScreeningStatus.FAILED
    return Screening(status=status, prequalification=prequalification, evaluation=evaluation)

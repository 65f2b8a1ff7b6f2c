"""Typed client of the scoring service's endpoints that other services call."""

from prm_contracts.clients.base import ServiceClient
from prm_contracts.scoring import (
    APPLICATION_EVALUATION_PATH,
    PREQUALIFICATION_PATH,
    ApplicationEvaluation,
    ApplicationEvaluationRequest,
    PrequalificationRequest,
    PrequalificationResult,
)


class ScoringClient(ServiceClient):
    service = "scoring"

    async def prequalify(self, request: PrequalificationRequest) -> PrequalificationResult:
        """The applicant checked against the minimum requirements (gates) of the current model."""
        return await self._json(
            "POST", PREQUALIFICATION_PATH, PrequalificationResult, json=request.model_dump(mode="json")
        )

    async def evaluate_application(self, request: ApplicationEvaluationRequest) -> ApplicationEvaluation:
        """The weighted evaluation score of the applicant under the current model."""
        return await self._json(
            "POST", APPLICATION_EVALUATION_PATH, ApplicationEvaluation, json=request.model_dump(mode="json")
        )

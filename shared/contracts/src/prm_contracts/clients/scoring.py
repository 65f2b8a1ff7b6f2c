"""Typed client of the scoring service's endpoints that other services call."""

from uuid import UUID

from prm_contracts.clients.base import ServiceClient
from prm_contracts.scoring import (
    APPLICATION_EVALUATION_PATH,
    PREQUALIFICATION_PATH,
    ApplicationEvaluation,
    ApplicationEvaluationRequest,
    PartnerScoreOut,
    PrequalificationRequest,
    PrequalificationResult,
    ScoreBatchIn,
    ScoreBatchOut,
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

    async def partner_score(self, partner_id: UUID) -> PartnerScoreOut:
        """The partner's stored score, health and tier standing (404 `NotFound` when scoring has none)."""
        return await self._json("GET", f"/v1/scores/partners/{partner_id}", PartnerScoreOut)

    async def partner_scores(self, partner_ids: list[UUID]) -> ScoreBatchOut:
        """Up to 10,000 partners' scores in one answer; an id without a score is an item with `found: false`."""
        body = ScoreBatchIn(partner_ids=partner_ids).model_dump(mode="json")
        return await self._json("POST", "/v1/scores/batch", ScoreBatchOut, json=body)

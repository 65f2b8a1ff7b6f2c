"""The typed clients of scoring's applicant screening and of the registry's webhook secrets: paths, bodies,
answers parsed into the contract models, and answers that break the contract."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import httpx
import pytest
from prm_contracts.clients.registry import RegistryClient
from prm_contracts.clients.scoring import ScoringClient
from prm_contracts.problem import BadGateway, NotFound
from prm_contracts.scoring import (
    ApplicantFacts,
    ApplicationEvaluation,
    ApplicationEvaluationRequest,
    PrequalificationRequest,
)

APPLICANT = ApplicantFacts.model_validate(
    {
        "application_id": str(uuid.uuid4()),
        "legal_name": "Acme Networks GmbH",
        "partner_type": "reseller",
        "country": "DE",
        "employee_count": 12,
        "annual_revenue": {"amount": "2500000.00", "currency": "EUR"},
        "questionnaire": {"certified_engineers": 2},
    }
)


def answering(seen: list[httpx.Request], body: object, status: int = 200) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://service")


@pytest.mark.asyncio
async def test_prequalify_posts_the_applicant_and_reads_the_gates() -> None:
    seen: list[httpx.Request] = []
    scoring = ScoringClient(
        answering(
            seen,
            {"passed": False, "gates": [{"gate": "min_employees", "passed": False}], "model_version": "v3"},
        )
    )

    result = await scoring.prequalify(PrequalificationRequest(applicant=APPLICANT))

    [request] = seen
    assert (request.method, request.url.path) == ("POST", "/internal/prequalifications")
    sent = json.loads(request.content)
    assert sent["applicant"]["annual_revenue"] == {"amount": "2500000.00", "currency": "EUR"}
    assert sent["applicant"]["questionnaire"] == {"certified_engineers": 2}
    assert result.passed is False
    assert result.gates[0].gate == "min_employees"


@pytest.mark.asyncio
async def test_evaluate_application_reads_decimal_strings_exactly() -> None:
    seen: list[httpx.Request] = []
    body = {
        "score": "72.5",
        "grade": "B",
        "criteria": [{"criterion": "fit", "weight": "0.25", "score": "90", "contribution": "22.5"}],
        "model_version": "v3",
    }
    scoring = ScoringClient(answering(seen, body))

    evaluation = await scoring.evaluate_application(ApplicationEvaluationRequest(applicant=APPLICANT))

    assert seen[0].url.path == "/internal/application-evaluations"
    assert evaluation.score == Decimal("72.5")
    assert evaluation.criteria[0].contribution == Decimal("22.5")
    assert evaluation.model_dump(mode="json")["score"] == "72.5"


@pytest.mark.asyncio
async def test_a_score_sent_as_a_json_number_breaks_the_contract() -> None:
    scoring = ScoringClient(answering([], {"score": 72.5, "model_version": "v3"}))

    with pytest.raises(BadGateway):
        await scoring.evaluate_application(ApplicationEvaluationRequest(applicant=APPLICANT))


def test_scores_refuse_floats_but_take_strings_and_decimals() -> None:
    assert ApplicationEvaluation.model_validate({"score": "0.5", "model_version": "v"}).score == Decimal(
        "0.5"
    )
    assert ApplicationEvaluation(score=Decimal("1.25"), model_version="v").score == Decimal("1.25")
    with pytest.raises(ValueError, match="decimal string"):
        ApplicationEvaluation.model_validate({"score": 0.5, "model_version": "v"})


@pytest.mark.asyncio
async def test_webhook_secrets_are_read_for_one_partner() -> None:
    seen: list[httpx.Request] = []
    partner_id = uuid.uuid4()
    secret_id = uuid.uuid4()
    body = {
        "partner_id": str(partner_id),
        "secrets": [
            {
                "id": str(secret_id),
                "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "fingerprint": "3f9a1c0b7d2e",
                "valid_from": "2026-07-01T09:00:00Z",
                "valid_until": None,
            }
        ],
    }
    registry = RegistryClient(answering(seen, body))

    secrets = await registry.webhook_secrets(partner_id)

    assert (seen[0].method, seen[0].url.path) == ("GET", f"/internal/partners/{partner_id}/webhook-secrets")
    assert secrets.secrets[0].id == secret_id
    assert secrets.secrets[0].valid_until is None


@pytest.mark.asyncio
async def test_an_unknown_partner_is_not_found() -> None:
    problem = {"type": "/problems/not-found", "title": "Not found", "status": 404, "detail": "no partner"}
    registry = RegistryClient(answering([], problem, status=404))

    with pytest.raises(NotFound):
        await registry.webhook_secrets(uuid.uuid4())

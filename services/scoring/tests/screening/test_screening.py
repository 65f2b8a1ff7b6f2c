"""The two internal endpoints the registry calls: the default model's gates and evaluation of an applicant,
computed by hand; only PRM services may call them; nothing is stored."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest
from prm_contracts.dates import utc_today
from prm_contracts.principal import ADMIN_SCOPE, INTERNAL_SCOPE, Principal
from prm_contracts.scoring import (
    APPLICATION_EVALUATION_PATH,
    PREQUALIFICATION_PATH,
    ApplicationEvaluation,
    PrequalificationResult,
)
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import is_problem, signed_as, stored_counts

pytestmark = pytest.mark.asyncio

REGISTRY = Principal(subject="service:partner-registry", scopes=frozenset({INTERNAL_SCOPE}))


def applicant(**facts: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "application_id": str(uuid4()),
        "legal_name": "Acme Networks GmbH",
        "partner_type": "reseller",
        "country": "DE",
        "year_founded": utc_today().year - 6,
        "employee_count": 12,
        "segments_served": ["smb", "enterprise"],
        "questionnaire": {"certified_engineers": 4, "has_support_desk": True},
    }
    return {"applicant": body | facts}


async def test_an_applicant_is_evaluated_under_the_default_model(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    before = await stored_counts(db)

    response = await client.post(APPLICATION_EVALUATION_PATH, json=applicant(), headers=signed_as(REGISTRY))

    assert response.status_code == 200, response.text
    evaluation = ApplicationEvaluation.model_validate(response.json())
    # weights 2, 3, 2, 1, 2, 1 (sum 11); normalised: segments 2 of 0..4 → 50, 6 years of 0..10 → 60, 12 employees
    # in [5, 20) → 50, no marketing answer → 0 (rule zero), 4 engineers of 0..5 → 80, support desk → 100;
    # total (50·2 + 60·3 + 50·2 + 0 + 80·2 + 100)/11 = 640/11 = 58.1818… → 58.18, grade C;
    # contributions 9.0909…, 16.3636…, 9.0909…, 0, 14.5454…, 9.0909…: floors sum 58.17, the cent to 14.54
    assert response.json()["score"] == "58.18"
    assert evaluation.grade == "C"
    assert [(c.criterion, format(c.score, "f"), str(c.contribution)) for c in evaluation.criteria] == [
        ("segment_count", "50.00", "9.09"),
        ("years_in_business", "60.00", "16.36"),
        ("employee_count", "50.00", "9.09"),
        ("has_marketing_team", "0.00", "0.00"),
        ("certified_engineers", "80.00", "14.55"),
        ("has_support_desk", "100.00", "9.09"),
    ]
    # shares 2/11, 3/11, 1/11 to 6 decimals sum to 0.999999; the millionth goes to 3/11 (largest remainder)
    assert response.json()["criteria"][1]["weight"] == "0.272728"
    assert evaluation.model_version == "partner-evaluation@1"
    assert await stored_counts(db) == before


async def test_the_gates_of_the_default_model(client: httpx.AsyncClient) -> None:
    passing = await client.post(PREQUALIFICATION_PATH, json=applicant(), headers=signed_as(REGISTRY))
    failing = await client.post(
        PREQUALIFICATION_PATH,
        json=applicant(year_founded=None, employee_count=1, questionnaire={"open_compliance_violations": 1}),
        headers=signed_as(REGISTRY),
    )

    assert PrequalificationResult.model_validate(passing.json()).passed is True
    result = PrequalificationResult.model_validate(failing.json())
    assert result.passed is False
    assert [(g.gate, g.passed, g.actual, g.threshold) for g in result.gates] == [
        ("min_years_in_business", False, None, "1"),
        ("min_employees", False, "1", "2"),
        ("no_open_compliance_violation", False, "1", "0"),
    ]


async def test_unusable_answers_count_as_missing(client: httpx.AsyncClient) -> None:
    answers = {"certified_engineers": 4.5, "has_support_desk": "yes", "has_marketing_team": True}

    response = await client.post(
        APPLICATION_EVALUATION_PATH, json=applicant(questionnaire=answers), headers=signed_as(REGISTRY)
    )

    scores = {c["criterion"]: c["score"] for c in response.json()["criteria"]}
    assert (scores["certified_engineers"], scores["has_support_desk"], scores["has_marketing_team"]) == (
        "0.00",
        "0.00",
        "100.00",
    )


@pytest.mark.parametrize("path", [PREQUALIFICATION_PATH, APPLICATION_EVALUATION_PATH])
async def test_only_prm_services_may_screen(client: httpx.AsyncClient, path: str) -> None:
    admin_key = Principal(subject="key:admin", scopes=frozenset({ADMIN_SCOPE}))

    response = await client.post(path, json=applicant(), headers=signed_as(admin_key))

    assert is_problem(response, 403, "forbidden")


async def test_a_float_in_the_facts_is_refused(client: httpx.AsyncClient) -> None:
    body = applicant(annual_revenue={"amount": 100000.5, "currency": "EUR"})

    response = await client.post(PREQUALIFICATION_PATH, json=body, headers=signed_as(REGISTRY))

    assert is_problem(response, 422, "validation-error")

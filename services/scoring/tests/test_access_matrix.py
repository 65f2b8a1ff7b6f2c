"""Who may do what, operation by operation, over every public operation of the scoring app.

Callers: a channel manager (scoring:write), an analyst (scoring:read), a credential without scoring scopes,
the assessed partner's own credential (scoring:write, bound to it) and another partner's. A partner reads
its own assessments and improvement plans (another's are 404, as if they did not exist) and the models it
is scored by; it never submits assessments, changes models nor creates, checks or closes plans. A refused request stores nothing. The test fails when an operation
is added without a row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from prm_contracts.principal import Principal
from prm_kit.clock import utc_now
from prm_kit.testing import access_groups, undone
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import (
    ANALYST,
    CHANNEL_MANAGER,
    OUTSIDER,
    a_model,
    assessment_body,
    linear,
    model_body,
    partner_user,
    signed_as,
    stored_counts,
)
from .fakes import FakeRegistry
from .scores.helpers import stored_recommendation

pytestmark = pytest.mark.asyncio


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None
    if_match: bool = False


M = "/v1/evaluation-models/{model}"
V = M + "/versions/{number}"
A = "/v1/assessments/{assessment}"
P = "/v1/improvement-plans/{plan}"
# a year from today: within the 1,830 days a goal may run
PLAN_GOALS = [{"kpi": "nps", "target": "40", "due_on": str(utc_now().date() + timedelta(days=365))}]

CALLS = {
    "list_evaluation_models": Call("GET", "/v1/evaluation-models"),
    "create_evaluation_model": Call("POST", "/v1/evaluation-models", model_body()),
    "get_evaluation_model": Call("GET", M),
    "list_evaluation_model_versions": Call("GET", M + "/versions"),
    "create_evaluation_model_version": Call("POST", M + "/versions", {"copy_from": 1}),
    "get_evaluation_model_version": Call("GET", V),
    "update_evaluation_model_version": Call("PATCH", V, {"criteria": [linear("x")]}, if_match=True),
    "publish_evaluation_model_version": Call("POST", V + "/publish"),
    "submit_assessment": Call("POST", "/v1/assessments"),  # body: for the partner
    "list_assessments": Call("GET", "/v1/assessments"),
    "get_assessment": Call("GET", A),
    "rescore_assessment": Call("GET", A + "/rescoring?model_version=1"),
    "create_improvement_plan": Call("POST", "/v1/improvement-plans"),  # body: for the partner
    "list_improvement_plans": Call("GET", "/v1/improvement-plans"),
    "get_improvement_plan": Call("GET", P),
    "check_improvement_plan_progress": Call("POST", P + "/progress-checks"),
    "close_improvement_plan": Call("POST", P + "/closure", {"outcome": "failed"}, if_match=True),
    "get_partner_score": Call("GET", "/v1/scores/partners/{partner}"),
    "get_partner_scores": Call("POST", "/v1/scores/batch"),  # body: the partner
    "list_partners_at_risk": Call("GET", "/v1/health-signals?min_severity=info"),
    "list_tier_recommendations": Call("GET", "/v1/tier-recommendations"),
    "get_tier_recommendation": Call("GET", "/v1/tier-recommendations/{recommendation}"),
    "run_tier_recommendations": Call("POST", "/v1/tier-recommendations/runs", {}),
    "apply_tier_recommendations": Call(
        "POST", "/v1/tier-recommendations/applications"
    ),  # body: the recommendation
}

CALLERS = ["channel manager", "analyst", "outsider", "own partner", "other partner"]

MATRIX = {
    "list_evaluation_models": (200, 200, 403, 200, 200),
    "create_evaluation_model": (201, 403, 403, 403, 403),
    "get_evaluation_model": (200, 200, 403, 200, 200),
    "list_evaluation_model_versions": (200, 200, 403, 200, 200),
    "create_evaluation_model_version": (201, 403, 403, 403, 403),
    "get_evaluation_model_version": (200, 200, 403, 200, 200),
    "update_evaluation_model_version": (200, 403, 403, 403, 403),
    "publish_evaluation_model_version": (200, 403, 403, 403, 403),
    "submit_assessment": (201, 403, 403, 403, 403),
    "list_assessments": (200, 200, 403, 200, 200),
    "get_assessment": (200, 200, 403, 200, 404),
    "rescore_assessment": (200, 200, 403, 200, 404),
    "create_improvement_plan": (201, 403, 403, 403, 403),
    "list_improvement_plans": (200, 200, 403, 200, 200),
    "get_improvement_plan": (200, 200, 403, 200, 404),
    "check_improvement_plan_progress": (200, 403, 403, 403, 403),
    "close_improvement_plan": (200, 403, 403, 403, 403),
    "get_partner_score": (200, 200, 403, 200, 404),
    "get_partner_scores": (200, 200, 403, 200, 200),  # another partner's id: an item with found false
    "list_partners_at_risk": (200, 200, 403, 200, 200),
    "list_tier_recommendations": (200, 200, 403, 200, 200),
    "get_tier_recommendation": (200, 200, 403, 200, 404),
    "run_tier_recommendations": (202, 403, 403, 403, 403),
    "apply_tier_recommendations": (200, 403, 403, 403, 403),
}


async def test_every_scoring_operation_has_a_row(app: FastAPI) -> None:
    """Every operation of scoring's own domains (the kit's shared operations are checked by the kit)."""
    operations = {
        operation["operationId"]
        for item in app.openapi()["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        and set(operation.get("tags", []))
        & {
            "evaluation-models",
            "assessments",
            "improvement-plans",
            "scores",
            "health-signals",
            "tier-recommendations",
        }
    }

    assert operations == set(MATRIX)


@dataclass(frozen=True)
class Arranged:
    partner: UUID
    other: UUID
    published: dict[str, Any]
    draft: dict[str, Any]
    assessment: dict[str, Any]
    plan: dict[str, Any]
    recommendation: UUID


async def _arrange(client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry) -> Arranged:
    """Two partners, a published and a draft model, an assessment, an improvement plan, a recommendation."""
    partner, other = registry.add_partner(), registry.add_partner()
    published = await a_model(client, criteria=[linear("growth")])
    draft = await a_model(client, publish=False, criteria=[linear("growth")])
    assessment = await client.post(
        "/v1/assessments", json=assessment_body(partner, published["model_name"], {"growth": "40"})
    )
    assert assessment.status_code == 201, assessment.text
    plan = await client.post("/v1/improvement-plans", json=_plan_body(partner))
    assert plan.status_code == 201, plan.text
    recommendation = await stored_recommendation(db, partner)
    return Arranged(partner, other, published, draft, assessment.json(), plan.json(), recommendation)


def _plan_body(partner: UUID) -> dict[str, Any]:
    return {"partner_id": str(partner), "title": "Plan", "owner": "Anna", "goals": PLAN_GOALS}


def _body(call_name: str, arranged: Arranged) -> Any:
    partner = arranged.partner
    if call_name == "submit_assessment":
        return assessment_body(partner, arranged.published["model_name"], {"growth": "50"})
    if call_name == "create_improvement_plan":
        return _plan_body(partner)
    if call_name == "get_partner_scores":
        return {"partner_ids": [str(partner)]}
    if call_name == "apply_tier_recommendations":
        return {"recommendation_ids": [str(arranged.recommendation)]}
    return CALLS[call_name].body


@pytest.mark.parametrize("call_name", MATRIX)
async def test_access_matrix(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry, call_name: str
) -> None:
    call = CALLS[call_name]
    for group in access_groups(CALLERS, MATRIX[call_name], call.method):
        async with undone(db):
            arranged = await _arrange(client, db, registry)
            for caller, expected in group:
                partner = arranged.partner
                # editing and publishing need a draft; the rest work on the published model
                version = (
                    arranged.draft
                    if call_name in {"update_evaluation_model_version", "publish_evaluation_model_version"}
                    else arranged.published
                )
                principal: Principal = {
                    "channel manager": CHANNEL_MANAGER,
                    "analyst": ANALYST,
                    "outsider": OUTSIDER,
                    "own partner": partner_user(partner),
                    "other partner": partner_user(arranged.other),
                }[caller]
                headers = signed_as(principal)
                if call.if_match:
                    headers["If-Match"] = '"1"'
                before = await stored_counts(db)

                response = await client.request(
                    call.method,
                    call.path.format(
                        model=version["model_id"],
                        number=version["number"],
                        assessment=arranged.assessment["id"],
                        plan=arranged.plan["id"],
                        partner=partner,
                        recommendation=arranged.recommendation,
                    ),
                    json=_body(call_name, arranged),
                    headers=headers,
                )

                assert response.status_code == expected, f"{caller}: {response.text}"
                if expected in {403, 404}:
                    assert await stored_counts(db) == before, caller
                if expected == 403:
                    assert response.json()["type"].endswith("/problems/forbidden")
                if call_name == "list_assessments" and caller in {"own partner", "other partner"}:
                    own = [arranged.assessment["id"]] if caller == "own partner" else []
                    assert [a["id"] for a in response.json()["items"]] == own


async def test_a_partner_asking_for_another_partners_history_sees_none(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    partner, other = registry.add_partner(), registry.add_partner()
    model = await a_model(client, criteria=[linear("growth")])
    await client.post("/v1/assessments", json=assessment_body(other, model["model_name"], {"growth": "1"}))

    response = await client.get(
        "/v1/assessments", params={"partner_id": str(other)}, headers=signed_as(partner_user(partner))
    )

    assert response.json() == {"items": [], "next_cursor": None}

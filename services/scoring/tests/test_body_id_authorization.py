"""No existence oracle in scoring's request bodies (issue 13): an id a partner's own credential names that is
not its own — another partner, another partner's tier recommendation — gets exactly the answer a made-up id
gets, and nothing is stored.

The operations are found by walking scoring's OpenAPI document (`prm_kit.body_ids`); each needs an arrangement
below, so one added tomorrow fails here until it is covered. A partner only reads scores in batches (another
partner's is `found: false`, as a made-up one is); every other operation is the vendor's and is refused
with the same 403 whatever the body names.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prm_contracts.principal import ADMIN_SCOPE, Principal
from prm_kit.body_ids import Probe, assert_no_existence_oracle, id_bearing_operations
from prm_kit.clock import utc_now
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import a_model, assessment_body, linear, signed_as, stored_counts
from .fakes import FakeRegistry
from .scores.helpers import stored_recommendation

pytestmark = pytest.mark.asyncio


@dataclass(frozen=True)
class World:
    """`own` is the partner the credential is bound to; `rival` another one, assessed (so scoring holds its
    score) and with an open tier recommendation."""

    own: uuid.UUID
    rival: uuid.UUID
    model: str
    own_recommendation: uuid.UUID
    rival_recommendation: uuid.UUID

    @property
    def key(self) -> Principal:
        # every scope a partner's credential may carry: `admin` counts for nothing once bound to a partner
        return Principal(
            subject=f"key:partner-{str(self.own)[:8]}",
            scopes=frozenset({"scoring:read", "scoring:write", ADMIN_SCOPE}),
            partner_id=self.own,
        )


async def _world(client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry) -> World:
    own, rival = registry.add_partner(), registry.add_partner()
    model = (await a_model(client, criteria=[linear("growth")]))["model_name"]
    assessed = await client.post("/v1/assessments", json=assessment_body(rival, model, {"growth": "40"}))
    assert assessed.status_code == 201, assessed.text
    scores = await client.post("/v1/scores/batch", json={"partner_ids": [str(rival)]})
    assert scores.json()["items"][0]["found"] is True, "the rival's score should be stored"
    return World(
        own, rival, model, await stored_recommendation(db, own), await stored_recommendation(db, rival)
    )


def submit_assessment(world: World) -> Probe:
    return Probe(
        "POST",
        "/v1/assessments",
        lambda name, named: assessment_body(uuid.UUID(named), world.model, {"growth": "50"}),
        foreign={"partner_id": [str(world.rival)]},
        visible={"partner_id": str(world.own)},
        visible_status=403,  # the vendor assesses partners
    )


def create_improvement_plan(world: World) -> Probe:
    def body(name: str, named: str) -> dict[str, Any]:
        goals = [{"kpi": "nps", "target": "40", "due_on": str(utc_now().date() + timedelta(days=365))}]
        return {"partner_id": named, "title": "Plan", "owner": "Anna", "goals": goals}

    return Probe(
        "POST",
        "/v1/improvement-plans",
        body,
        foreign={"partner_id": [str(world.rival)]},
        visible={"partner_id": str(world.own)},
        visible_status=403,  # the vendor sets plans
    )


def get_partner_scores(world: World) -> Probe:
    return Probe(
        "POST",
        "/v1/scores/batch",
        lambda name, named: {name: [named]},
        foreign={"partner_ids": [str(world.rival)]},
        visible={"partner_ids": str(world.own)},
        visible_status=200,
        made_up_status=200,  # an unknown id never fails the batch: its item says `found: false`
    )


def run_tier_recommendations(world: World) -> Probe:
    return Probe(
        "POST",
        "/v1/tier-recommendations/runs",
        lambda name, named: {name: [named]},
        foreign={"partner_ids": [str(world.rival)]},
        visible={"partner_ids": str(world.own)},
        visible_status=403,  # the vendor runs reviews
    )


def apply_tier_recommendations(world: World) -> Probe:
    return Probe(
        "POST",
        "/v1/tier-recommendations/applications",
        lambda name, named: {name: [named]},
        foreign={"recommendation_ids": [str(world.rival_recommendation)]},
        visible={"recommendation_ids": str(world.own_recommendation)},
        visible_status=403,  # the vendor moves tiers
    )


ARRANGEMENTS: dict[str, Callable[[World], Probe]] = {
    "submit_assessment": submit_assessment,
    "create_improvement_plan": create_improvement_plan,
    "get_partner_scores": get_partner_scores,
    "run_tier_recommendations": run_tier_recommendations,
    "apply_tier_recommendations": apply_tier_recommendations,
}


async def test_every_id_bearing_operation_of_scoring_is_covered(app: FastAPI) -> None:
    live = id_bearing_operations(app.openapi())

    assert set(live) <= set(ARRANGEMENTS), f"arrange {sorted(set(live) - set(ARRANGEMENTS))}"
    assert set(ARRANGEMENTS) <= set(live), f"no longer id-bearing: {sorted(set(ARRANGEMENTS) - set(live))}"


@pytest.mark.parametrize("operation_id", sorted(ARRANGEMENTS))
async def test_a_foreign_id_in_a_body_is_answered_like_a_made_up_one(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry, operation_id: str
) -> None:
    fields = id_bearing_operations(app.openapi()).get(operation_id, set())
    world = await _world(client, db, registry)
    probe = ARRANGEMENTS[operation_id](world)

    await assert_no_existence_oracle(
        client, probe, fields=fields, headers=signed_as(world.key), stored=lambda: stored_counts(db)
    )

"""No existence oracle in analytics' request bodies (issue 13): an id a partner's own credential names that is
not its own — another partner, another partner's survey or respondent — gets exactly the answer a made-up id
gets, and nothing is stored.

The operations are found by walking analytics' OpenAPI document (`prm_kit.body_ids`); each needs an
arrangement below (or a reason in NOT_CALLED_WITH_A_KEY), so one added tomorrow fails here until it is
covered. Analytics' inputs are the vendor's: a partner's own credential is refused with the same 403 whatever
the body names.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from analytics.models import Base, PartnerDimension
from fastapi import FastAPI
from prm_contracts.principal import ADMIN_SCOPE, Principal
from prm_kit.body_ids import Probe, assert_no_existence_oracle, id_bearing_operations
from prm_kit.outbox import outbox_event
from sqlalchemy.ext.asyncio import AsyncSession

from .partners.callers import signed_as
from .sales.fakes import FakeRegistry

pytestmark = pytest.mark.asyncio

# id-bearing operations no credential calls, with why no answer can tell ids apart
NOT_CALLED_WITH_A_KEY = {
    "receive_partner_sales_webhook": "signed with the partner's own webhook secret, never called with a key "
    "(any key is 401 before the body is read: test_access_matrix.py). Its ids are the partner's own "
    "external ids, but for `deal_registration_id`, which analytics stores as sent and never looks up, so no "
    "answer depends on whose it is; incentives credits a line only to an approved registration of the "
    "line's own partner",
}


@dataclass(frozen=True)
class World:
    """`own` is the partner the credential is bound to; `rival` another one, with a stored survey response."""

    own: str
    rival: str
    survey: str
    respondent: str

    @property
    def key(self) -> Principal:
        # every scope a partner's credential may carry: `admin` counts for nothing once bound to a partner
        return Principal(
            subject=f"key:partner-{self.own[:8]}",
            scopes=frozenset({"analytics:read", "analytics:write", ADMIN_SCOPE}),
            partner_id=uuid.UUID(self.own),
        )


async def _world(client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry) -> World:
    own, rival = registry.partner_without_secrets(), registry.partner_without_secrets()
    for partner_id in (own, rival):
        db.add(PartnerDimension(partner_id=partner_id, updated_at=datetime.now(UTC)))
    await db.flush()
    world = World(str(own), str(rival), f"nps-{uuid.uuid4().hex[:8]}", f"r-{uuid.uuid4().hex[:8]}")
    stored = await client.post(
        "/v1/surveys/responses",
        json={"responses": [_response(world.rival, world.survey, world.respondent)]},
    )
    assert stored.status_code == 200, stored.text
    return world


def _response(partner_id: str, survey_id: str, respondent_id: str) -> dict[str, Any]:
    return {
        "partner_id": partner_id,
        "survey_id": survey_id,
        "respondent_id": respondent_id,
        "nps": 9,
        "csat": 4,
        "responded_on": "2026-07-15",
    }


def submit_survey_responses(world: World) -> Probe:
    def body(name: str, named: str) -> dict[str, Any]:
        fields = {"partner_id": world.own, "survey_id": world.survey, "respondent_id": "r-own"}
        fields[name.removeprefix("responses.")] = named
        return {"responses": [_response(**fields)]}

    return Probe(
        "POST",
        "/v1/surveys/responses",
        body,
        foreign={
            "responses.partner_id": [world.rival],
            "responses.survey_id": [world.survey],
            "responses.respondent_id": [world.respondent],
        },
        visible={
            "responses.partner_id": world.own,
            "responses.survey_id": "nps-own",
            "responses.respondent_id": "r-own",
        },
        visible_status=403,  # survey results come from the vendor's survey tool
    )


ARRANGEMENTS: dict[str, Callable[[World], Probe]] = {
    "submit_survey_responses": submit_survey_responses,
}


async def _stored_counts(db: AsyncSession) -> dict[str, int]:
    return {
        table.name: int(await db.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
        for table in (*Base.metadata.sorted_tables, outbox_event)
    }


async def test_every_id_bearing_operation_of_analytics_is_covered(app: FastAPI) -> None:
    live = set(id_bearing_operations(app.openapi()))
    covered = set(ARRANGEMENTS) | set(NOT_CALLED_WITH_A_KEY)

    assert live <= covered, f"arrange {sorted(live - covered)}"
    assert covered <= live, f"no longer id-bearing: {sorted(covered - live)}"


@pytest.mark.parametrize("operation_id", sorted(ARRANGEMENTS))
async def test_a_foreign_id_in_a_body_is_answered_like_a_made_up_one(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry, operation_id: str
) -> None:
    fields = id_bearing_operations(app.openapi()).get(operation_id, set())
    world = await _world(client, db, registry)
    probe = ARRANGEMENTS[operation_id](world)

    await assert_no_existence_oracle(
        client, probe, fields=fields, headers=signed_as(world.key), stored=lambda: _stored_counts(db)
    )

"""No existence oracle in request bodies: every id a partner's own credential names in a body is its own or one
it can see; any other id gets exactly the answer a made-up id gets, and nothing is stored.

The operations are found by walking the OpenAPI document (`prm_kit.body_ids`: the registry's live one, and the
committed one for the operations every other service answers): a request-body property holding a UUID or
named `*_id`/`*_ids`. Each registry operation needs an arrangement below, so one added tomorrow fails here
until it is covered; scoring's, incentives' and analytics' are covered by the same check in their own suites.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prm_contracts.principal import Principal
from prm_kit.body_ids import Probe, assert_no_existence_oracle, id_bearing_operations
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import (
    CONFLICT_MANAGER,
    a_case,
    a_certification,
    a_contact,
    a_deal,
    a_partner,
    a_territory,
    case_body,
    certification_body,
    deal_body,
    moved_to,
    signed_as,
    stored_counts,
)

COMMITTED = Path(__file__).resolve().parents[3] / "openapi" / "prm.json"
SERVICES = COMMITTED.parents[1] / "services"
SCORING, INCENTIVES, ANALYTICS = (
    SERVICES / name / "tests" / "test_body_id_authorization.py"
    for name in ("scoring", "incentives", "analytics")
)
# id-bearing operations of other services: where each is tested, or why it needs no test. A new one fails
# test_every_id_bearing_operation_of_the_document_is_covered until it is listed (and tested in its service).
SERVED_ELSEWHERE: dict[str, Path | str] = {
    "create_api_key": "the gateway's admin API: a partner-bound key's `admin` scope counts for nothing "
    "(Principal.effective_scopes), so a partner never reaches it (services/gateway/tests)",
    "get_partner_scores": SCORING,
    "submit_assessment": SCORING,
    "create_improvement_plan": SCORING,
    "run_tier_recommendations": SCORING,
    "apply_tier_recommendations": SCORING,
    "create_adjustment": INCENTIVES,
    "create_backtest": INCENTIVES,
    "create_calculation_run": INCENTIVES,
    "create_mdf_budget": INCENTIVES,
    "create_mdf_allocation": INCENTIVES,
    "create_mdf_request": INCENTIVES,
    "submit_survey_responses": ANALYTICS,
    "receive_partner_sales_webhook": ANALYTICS,
}


# --- arranging each operation ------------------------------------------------------------------------------


@dataclass
class World:
    """`own` is the partner the credential is bound to; `known` shares a case with it (so it sees `known`);
    `rival` is hidden from it, though the conflict detector linked the rival's registration to its own."""

    client: httpx.AsyncClient
    own: dict[str, Any]
    known: dict[str, Any]
    rival: dict[str, Any]
    case: dict[str, Any]
    records: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> Principal:
        # every scope a partner's credential may carry: `admin` counts for nothing once bound to a partner
        scopes = {"partners:write", "deal-registrations:write", "conflicts:write", "tiers:write", "admin"}
        return Principal(
            subject=f"key:partner-{self.own['id'][:8]}",
            scopes=frozenset(scopes),
            partner_id=uuid.UUID(self.own["id"]),
        )


async def _world(client: httpx.AsyncClient) -> World:
    own, known, rival = await a_partner(client), await a_partner(client), await a_partner(client)
    case = await a_case(client, own, known)
    return World(client, own, known, rival, case)


async def _active_with_deals(world: World) -> None:
    """`own` and `rival` active, each with a registration of one customer (the detector links them)."""
    for partner in (world.own, world.rival):
        await moved_to(world.client, partner, "active")
    domain = f"hospital-{uuid.uuid4().hex[:8]}.example"
    world.records["own_deal"] = (await a_deal(world.client, world.own, customer_domain=domain))["id"]
    rival_deal = await a_deal(world.client, world.rival, customer_domain=domain)
    assert rival_deal["conflicts"], "the rival's registration should conflict with the own one"
    world.records["rival_deal"] = rival_deal["id"]


async def open_conflict_case(world: World) -> Probe:
    await _active_with_deals(world)
    await moved_to(world.client, world.known, "active")
    world.records["known_deal"] = (await a_deal(world.client, world.known))["id"]
    own_territory = await a_territory(world.client, world.own)
    rival_territory = await a_territory(world.client, world.rival)

    def body(name: str, named: str) -> dict[str, Any]:
        if name == "parties":
            return case_body(world.own, named)
        return case_body(world.own, world.known, **{name: [named]})

    return Probe(
        "POST",
        "/v1/conflict-cases",
        body,
        foreign={
            "parties": [world.rival["id"]],
            # a rival's registration (linked to the own one by the detector) and one of a partner it sees
            "deal_registration_ids": [world.records["rival_deal"], world.records["known_deal"]],
            "territory_ids": [rival_territory["id"]],
        },
        visible={
            "parties": world.known["id"],
            "deal_registration_ids": world.records["own_deal"],
            "territory_ids": own_territory["id"],
        },
        visible_status=201,
    )


async def update_conflict_case(world: World) -> Probe:
    await _active_with_deals(world)
    rival_territory = await a_territory(world.client, world.rival)
    own_territory = await a_territory(world.client, world.own)
    return Probe(
        "PATCH",
        f"/v1/conflict-cases/{world.case['id']}",
        lambda name, named: {name: [named]},
        foreign={
            "deal_registration_ids": [world.records["rival_deal"]],
            "territory_ids": [rival_territory["id"]],
        },
        visible={"deal_registration_ids": world.records["own_deal"], "territory_ids": own_territory["id"]},
        visible_status=403,  # partners add notes to cases; the vendor edits them
        headers={"If-Match": '"1"'},
    )


async def record_conflict_case_step(world: World) -> Probe:
    def body(name: str, named: str) -> dict[str, Any]:
        assert name == "resolution.awarded_to"
        resolution = {"ruling": "The deal stays with its first registrant", "outcome": "awarded"}
        return {"to_stage": "ruled", "resolution": {**resolution, "awarded_to": named}}

    return Probe(
        "POST",
        f"/v1/conflict-cases/{world.case['id']}/steps",
        body,
        foreign={"resolution.awarded_to": [world.rival["id"]]},
        visible={"resolution.awarded_to": world.own["id"]},
        visible_status=403,  # partners do not rule
    )


async def submit_deal_registration(world: World) -> Probe:
    await moved_to(world.client, world.own, "active")
    await moved_to(world.client, world.rival, "active")
    return Probe(
        "POST",
        "/v1/deal-registrations",
        lambda name, named: deal_body({"id": named}),
        foreign={"partner_id": [world.rival["id"], world.known["id"]]},
        visible={"partner_id": world.own["id"]},
        visible_status=201,
    )


async def add_partner_certification(world: World) -> Probe:
    rival_contact = await a_contact(world.client, world.rival)
    own_contact = await a_contact(world.client, world.own)
    return Probe(
        "POST",
        f"/v1/partners/{world.own['id']}/certifications",
        lambda name, named: certification_body(contact_id=named),
        foreign={"contact_id": [rival_contact["id"]]},
        visible={"contact_id": own_contact["id"]},
        visible_status=403,  # certifications are records the vendor keeps
    )


async def update_partner_certification(world: World) -> Probe:
    rival_contact = await a_contact(world.client, world.rival)
    own_contact = await a_contact(world.client, world.own)
    certification = await a_certification(world.client, world.own)
    return Probe(
        "PATCH",
        f"/v1/partners/{world.own['id']}/certifications/{certification['id']}",
        lambda name, named: {"contact_id": named},
        foreign={"contact_id": [rival_contact["id"]]},
        visible={"contact_id": own_contact["id"]},
        visible_status=403,
        headers={"If-Match": '"1"'},
    )


async def change_partner_tier(world: World) -> Probe:
    applied_to_rival = str(uuid.uuid4())
    change = await world.client.post(
        f"/v1/partners/{world.rival['id']}/tier-changes",
        json={
            "tier": "gold",
            "reason": "Scoring recommended gold",
            "source": "scoring_recommendation",
            "recommendation_id": applied_to_rival,
        },
    )
    assert change.status_code == 201, change.text

    def body(name: str, named: str) -> dict[str, Any]:
        return {"tier": "gold", "reason": "Review", "source": "scoring_recommendation", name: named}

    return Probe(
        "POST",
        f"/v1/partners/{world.own['id']}/tier-changes",
        body,
        foreign={"recommendation_id": [applied_to_rival]},
        visible={"recommendation_id": str(uuid.uuid4())},
        visible_status=403,  # the vendor moves tiers
    )


ARRANGEMENTS: dict[str, Callable[[World], Awaitable[Probe]]] = {
    "open_conflict_case": open_conflict_case,
    "update_conflict_case": update_conflict_case,
    "record_conflict_case_step": record_conflict_case_step,
    "submit_deal_registration": submit_deal_registration,
    "add_partner_certification": add_partner_certification,
    "update_partner_certification": update_partner_certification,
    "change_partner_tier": change_partner_tier,
}


# --- the checks --------------------------------------------------------------------------------------------

_COMMITTED_OPERATIONS = id_bearing_operations(json.loads(COMMITTED.read_text(encoding="utf-8")))


@pytest.mark.backend_independent
def test_every_id_bearing_operation_of_the_document_is_covered() -> None:
    uncovered = set(_COMMITTED_OPERATIONS) - set(ARRANGEMENTS) - set(SERVED_ELSEWHERE)

    assert not uncovered, (
        f"{sorted(uncovered)} take ids in their bodies: arrange them in ARRANGEMENTS (a registry operation) "
        "or test them in their service's test_body_id_authorization.py and list them in SERVED_ELSEWHERE"
    )
    assert {"open_conflict_case", "submit_deal_registration"} <= set(_COMMITTED_OPERATIONS)
    missing = {
        str(where) for where in SERVED_ELSEWHERE.values() if isinstance(where, Path) and not where.exists()
    }
    assert not missing, f"SERVED_ELSEWHERE points at tests that do not exist: {sorted(missing)}"


@pytest.mark.asyncio
async def test_every_id_bearing_operation_of_the_registry_is_covered(app: FastAPI) -> None:
    live = id_bearing_operations(app.openapi())

    assert set(live) <= set(ARRANGEMENTS), f"arrange {sorted(set(live) - set(ARRANGEMENTS))}"
    assert set(ARRANGEMENTS) <= set(live), f"no longer id-bearing: {sorted(set(ARRANGEMENTS) - set(live))}"


@pytest.mark.asyncio
@pytest.mark.parametrize("operation_id", sorted(ARRANGEMENTS))
async def test_a_foreign_id_in_a_body_is_answered_like_a_made_up_one(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, operation_id: str
) -> None:
    fields = id_bearing_operations(app.openapi()).get(operation_id, set())
    world = await _world(client)
    probe = await ARRANGEMENTS[operation_id](world)

    await assert_no_existence_oracle(
        client, probe, fields=fields, headers=signed_as(world.key), stored=lambda: stored_counts(db)
    )


@pytest.mark.asyncio
async def test_a_channel_manager_still_links_any_partner_registration_and_territory(
    client: httpx.AsyncClient,
) -> None:
    world = await _world(client)
    await _active_with_deals(world)
    rival_territory = await a_territory(client, world.rival)
    body = case_body(
        world.own,
        world.rival,
        deal_registration_ids=[world.records["own_deal"], world.records["rival_deal"]],
        territory_ids=[rival_territory["id"]],
    )

    opened = await client.post("/v1/conflict-cases", json=body, headers=signed_as(CONFLICT_MANAGER))

    assert opened.status_code == 201, opened.text
    assert opened.json()["parties"] == [world.own["id"], world.rival["id"]]
    assert opened.json()["deal_registration_ids"] == [world.records["own_deal"], world.records["rival_deal"]]

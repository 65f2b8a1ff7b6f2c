"""No existence oracle in incentives' request bodies (issue 13): an id a partner's own credential names that is
not its own — another partner, another partner's MDF allocation, a programme in an operation it may not call —
gets exactly the answer a made-up id gets, and nothing is stored.

The operations are found by walking incentives' OpenAPI document (`prm_kit.body_ids`); each needs an
arrangement below, so one added tomorrow fails here until it is covered. A partner asks for MDF funds on its
own allocations (another's is 404, as a made-up one is); every other id-bearing operation is the vendor's and
is refused with the same 403 whatever the body names.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prm_contracts.principal import ADMIN_SCOPE, Principal
from prm_kit.body_ids import Probe, assert_no_existence_oracle, id_bearing_operations
from sqlalchemy.ext.asyncio import AsyncSession

from .calculation_runs.helpers import a_partner, a_programme, terms
from .mdf.helpers import an_allocation, budget_body, eur, request_body, signed_as, stored_counts

pytestmark = pytest.mark.asyncio


@dataclass(frozen=True)
class World:
    """`own` is the partner the credential is bound to, `rival` another one; each has an MDF allocation.
    `programme` is published (partners read it), `draft` is not."""

    own: str
    rival: str
    programme: str
    draft: str
    own_allocation: str
    rival_allocation: str

    @property
    def key(self) -> Principal:
        # every scope a partner's credential may carry: `admin` counts for nothing once bound to a partner
        return Principal(
            subject=f"key:partner-{self.own[:8]}",
            scopes=frozenset({"incentives:read", "incentives:write", ADMIN_SCOPE}),
            partner_id=uuid.UUID(self.own),
        )


async def _world(client: httpx.AsyncClient, db: AsyncSession) -> World:
    own, rival = await a_partner(db), await a_partner(db)
    programme = (await a_programme(client))["programme_id"]
    draft = (await a_programme(client, publish=False))["programme_id"]
    own_allocation = (await an_allocation(client, own))["id"]
    rival_allocation = (await an_allocation(client, rival))["id"]
    return World(str(own), str(rival), programme, draft, own_allocation, rival_allocation)


def _vendors_only(world: World, path: str, body: Callable[[str, str], dict[str, Any]]) -> Probe:
    """An operation naming a programme that a partner's credential may not call: refused alike for the
    programme it reads, one it does not (a draft) and a made-up one."""
    return Probe(
        "POST",
        path,
        body,
        foreign={"programme_id": [world.draft, world.programme]},
        visible={"programme_id": world.programme},
        visible_status=403,
    )


def create_calculation_run(world: World) -> Probe:
    return _vendors_only(
        world,
        "/v1/calculation-runs",
        lambda name, named: {name: named, "period": "2026-Q1", "as_of": "2026-12-31"},
    )


def create_backtest(world: World) -> Probe:
    def body(name: str, named: str) -> dict[str, Any]:
        return {name: named, "period": "2026-Q1", "baseline": {"version": 1}, "candidate": {"terms": terms()}}

    return _vendors_only(world, "/v1/backtests", body)


def create_mdf_budget(world: World) -> Probe:
    return _vendors_only(world, "/v1/mdf/budgets", lambda name, named: budget_body(**{name: named}))


def create_adjustment(world: World) -> Probe:
    def body(name: str, named: str) -> dict[str, Any]:
        ids = {"programme_id": world.programme, "partner_id": world.own} | {name: named}
        return ids | {"period": "2026-Q2", "amount": eur("2.00"), "reason": "goodwill"}

    return Probe(
        "POST",
        "/v1/adjustments",
        body,
        foreign={"programme_id": [world.draft], "partner_id": [world.rival]},
        visible={"programme_id": world.programme, "partner_id": world.own},
        visible_status=403,  # the vendor adjusts payouts
    )


def create_mdf_allocation(world: World) -> Probe:
    # the budget is the vendor's in any case; the body names the partner to allocate to
    return Probe(
        "POST",
        f"/v1/mdf/budgets/{uuid.uuid4()}/allocations",
        lambda name, named: {name: named, "amount": eur("10.00")},
        foreign={"partner_id": [world.rival]},
        visible={"partner_id": world.own},
        visible_status=403,  # the vendor allocates
    )


def create_mdf_request(world: World) -> Probe:
    return Probe(
        "POST",
        "/v1/mdf/requests",
        lambda name, named: request_body(named, "10.00"),
        foreign={"allocation_id": [world.rival_allocation]},
        visible={"allocation_id": world.own_allocation},
        visible_status=201,
    )


ARRANGEMENTS: dict[str, Callable[[World], Probe]] = {
    "create_adjustment": create_adjustment,
    "create_backtest": create_backtest,
    "create_calculation_run": create_calculation_run,
    "create_mdf_budget": create_mdf_budget,
    "create_mdf_allocation": create_mdf_allocation,
    "create_mdf_request": create_mdf_request,
}


async def test_every_id_bearing_operation_of_incentives_is_covered(app: FastAPI) -> None:
    live = id_bearing_operations(app.openapi())

    assert set(live) <= set(ARRANGEMENTS), f"arrange {sorted(set(live) - set(ARRANGEMENTS))}"
    assert set(ARRANGEMENTS) <= set(live), f"no longer id-bearing: {sorted(set(ARRANGEMENTS) - set(live))}"


@pytest.mark.parametrize("operation_id", sorted(ARRANGEMENTS))
async def test_a_foreign_id_in_a_body_is_answered_like_a_made_up_one(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, operation_id: str
) -> None:
    fields = id_bearing_operations(app.openapi()).get(operation_id, set())
    world = await _world(client, db)
    probe = ARRANGEMENTS[operation_id](world)

    await assert_no_existence_oracle(
        client, probe, fields=fields, headers=signed_as(world.key), stored=lambda: stored_counts(db)
    )

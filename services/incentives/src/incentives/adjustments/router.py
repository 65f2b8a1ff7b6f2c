"""HTTP of payout adjustments: `/v1/adjustments` (manual ones entered here; clawbacks and deltas are listed
here too, written by the runs that carry them)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.incentives import AdjustmentIn, AdjustmentOut
from prm_contracts.pagination import Page
from prm_contracts.periods import PeriodLabel
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.idempotency import IdempotencyDep
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from incentives.adjustments import service
from incentives.clients import RegistryDep

router = APIRouter(prefix="/v1/adjustments", tags=["adjustments"])

READ = require("incentives:read")
WRITE = require("incentives:write")


@router.post(
    "",
    status_code=201,
    response_model=AdjustmentOut,
    summary="Adjust a partner's payout of a programme period",
    responses=problems(403, 404, 409, 422, 503),
    dependencies=[WRITE],
)
async def create_adjustment(
    body: AdjustmentIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
    registry: RegistryDep,
) -> Response:
    """A signed amount in the programme's currency (minor unit, not zero) with a reason; it survives every
    re-run of the period's draft and shows on the statement, and changes the partner's pending payout in the
    period's draft at once. 404 for an unknown programme or partner; 409 `period-closed` when the period's run
    is approved or paid; 409 `payout-decided` when the partner's payout in the draft is approved or held
    (its amount is what was decided: release a held one to pending first, or adjust the next open period);
    422 `adjustment-currency`, `adjustment-amount`, `period-type-mismatch`; 503 with `Retry-After` when the
    registry cannot confirm a partner incentives has not heard of yet. Nothing is stored unless 201."""
    adjustment = await service.create(session, body, registry, actor=who, now=now)
    return await idempotency.respond(
        session,
        service.adjustment_out(adjustment),
        status_code=201,
        headers={"Location": f"/v1/adjustments/{adjustment.id}"},
    )


@router.get(
    "",
    response_model=Page[AdjustmentOut],
    summary="List payout adjustments",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_adjustments(
    session: SessionDep,
    who: PrincipalDep,
    programme_id: UUID | None = Query(default=None),
    partner_id: UUID | None = Query(default=None),
    period: PeriodLabel | None = Query(default=None),
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AdjustmentOut]:
    """Manual adjustments, clawbacks and deltas; a partner's credential sees its own only."""
    return await service.list_adjustments(
        session,
        programme_id=programme_id,
        partner_id=partner_id,
        period=period,
        limit=limit,
        cursor=cursor,
        actor=who,
    )


@router.get(
    "/{adjustment_id}",
    response_model=AdjustmentOut,
    summary="Get a payout adjustment",
    responses=problems(403, 404),
    dependencies=[READ],
)
async def get_adjustment(adjustment_id: UUID, session: SessionDep, who: PrincipalDep) -> AdjustmentOut:
    """Another partner's adjustment is 404 to a partner's credential."""
    return service.adjustment_out(await service.visible(session, adjustment_id, who))

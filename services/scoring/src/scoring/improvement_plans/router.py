"""HTTP of improvement plans: `/v1/improvement-plans`, their progress checks and their closing."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.pagination import Page
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from scoring.clients import AnalyticsDep, RegistryDep
from scoring.improvement_plans import service
from scoring.improvement_plans.schemas import (
    ImprovementPlanIn,
    ImprovementPlanOut,
    PlanClosureIn,
    PlanStatus,
    plan_out,
)

router = APIRouter(prefix="/v1/improvement-plans", tags=["improvement-plans"])

READ = require("scoring:read")
WRITE = require("scoring:write")


@router.post(
    "",
    status_code=201,
    response_model=ImprovementPlanOut,
    summary="Create an improvement plan for a partner",
    responses={**etag_response(201), **problems(403, 422, 503)},
    dependencies=[WRITE],
)
async def create_improvement_plan(
    body: ImprovementPlanIn,
    session: SessionDep,
    who: PrincipalDep,
    registry: RegistryDep,
    idempotency: IdempotencyDep,
    now: NowDep,
) -> Response:
    """An open plan: goals as (KPI of analytics' snapshot, target, due date), an owner and notes. A target is a
    decimal string (ratios are fractions: `"0.9"` is 90 %), Money for the amount KPIs (revenue, gross_profit,
    customer_acquisition_cost, customer_lifetime_value). Lower is better for returns_ratio and
    customer_acquisition_cost. 422 for an unknown KPI, a goal due on or before the plan's start or running
    more than 1,830 days from it (the longest range analytics reads KPIs over), a JSON number as a target, a
    target of the wrong kind, a baseline for a cumulative KPI or a partner the registry does not know. Not open
    to a partner's own credential."""
    plan, goals = await service.create_plan(session, registry, body, actor=who, now=now)
    return await created(
        session,
        idempotency,
        plan_out(plan, goals),
        location=f"/v1/improvement-plans/{plan.id}",
        version=plan.version,
    )


@router.get(
    "",
    response_model=Page[ImprovementPlanOut],
    summary="List improvement plans",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_improvement_plans(
    session: SessionDep,
    who: PrincipalDep,
    status: Annotated[PlanStatus | None, Query(description="Only plans in this status.")] = None,
    partner_id: Annotated[UUID | None, Query(description="Only this partner's plans.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ImprovementPlanOut]:
    """Plans, newest first. A partner's own credential sees its own only."""
    return await service.list_plans(
        session, partner_id=partner_id, status=status, viewer=who, limit=limit, cursor=cursor
    )


@router.get(
    "/{plan_id}",
    response_model=ImprovementPlanOut,
    summary="Get an improvement plan",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_improvement_plan(
    plan_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> ImprovementPlanOut:
    """The plan with each goal's latest progress, and its version as `ETag` (for closing it). Another
    partner's plan is 404 to a partner's own credential."""
    plan = await service.visible_plan(session, plan_id, viewer=who)
    set_etag(response, plan.version)
    return await service.plan_answer(session, plan)


@router.post(
    "/{plan_id}/progress-checks",
    response_model=ImprovementPlanOut,
    summary="Check an improvement plan's progress against analytics' KPIs",
    responses={**etag_response(200), **problems(403, 404, 409, 502, 503)},
    dependencies=[WRITE],
)
async def check_improvement_plan_progress(
    plan_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    analytics: AnalyticsDep,
    response: Response,
    now: NowDep,
) -> ImprovementPlanOut:
    """Reads each goal's KPI from analytics over the plan's window so far (`starts_on` to today, or to the
    goal's due date once past) and stores its state: `met` (target reached), `missed` (due date passed, not
    met), `on_track` / `off_track` (at or behind the straight line from the baseline to the target by now),
    `no_data` (the KPI has no value yet; analytics' reason is kept). 409 for a closed plan; 502 when analytics
    refuses a window (its reason in the detail); 503 when analytics cannot be asked (nothing stored in either
    case). Not open to a partner's own credential."""
    plan = await service.check_progress(session, analytics, plan_id, actor=who, now=now)
    set_etag(response, plan.version)
    return plan


@router.post(
    "/{plan_id}/closure",
    response_model=ImprovementPlanOut,
    summary="Close an improvement plan as succeeded or failed",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422, 428)},
    dependencies=[WRITE],
)
async def close_improvement_plan(
    plan_id: UUID,
    body: PlanClosureIn,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> ImprovementPlanOut:
    """Closes an open plan with its outcome (the channel manager's call; the goals' states inform it).
    `If-Match` is required (428 without, 412 when stale); a closed plan is 409 `improvement-plan-closed`. Not
    open to a partner's own credential."""
    plan = await service.close_plan(session, plan_id, body, if_match=if_match, actor=who, now=now)
    set_etag(response, plan.version)
    return plan

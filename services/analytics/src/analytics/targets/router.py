"""HTTP of targets: `/v1/targets`, and for other services `/internal/partners/{partner_id}/targets` and
`/internal/targets?period=` (every partner's targets of a period at once: a calculation run's accelerator
needs them all)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.analytics import TargetIn, TargetMetric, TargetOut
from prm_contracts.pagination import Page
from prm_contracts.problem import NotFound, ServiceUnavailable
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery
from prm_kit.periods import PeriodPath, PeriodQuery

from analytics.partners.access import VENDOR_ONLY
from analytics.partners.known import ensure_partner_known
from analytics.sales.secrets import WebhookSecretsDep
from analytics.targets import service
from analytics.targets.put_rules import PutOutcome, period_in_path, period_in_query

router = APIRouter(prefix="/v1/targets", tags=["targets"])
internal_router = APIRouter(prefix="/internal", include_in_schema=False)

READ = require("analytics:read")
WRITE = require("analytics:write")


@router.put(
    "/{partner_id}/{metric}/{period}",
    response_model=TargetOut,
    summary="Set a partner's target",
    responses={
        **etag_response(200),
        201: {"model": TargetOut, "description": "Created"} | etag_response(201)[201],
        **problems(
            403, 404, 409, 412, 422, 428, 503, only={404: [NotFound.slug], 503: [ServiceUnavailable.slug]}
        ),
    },
    dependencies=[WRITE, VENDOR_ONLY],
)
async def put_target(
    partner_id: UUID,
    metric: TargetMetric,
    period: PeriodPath,
    body: TargetIn,
    session: SessionDep,
    response: Response,
    now: NowDep,
    secrets: WebhookSecretsDep,
    if_match: IfMatchHeader = None,
) -> TargetOut:
    """Creates the target (201), leaves it as it is when sent unchanged (200), or replaces it (200) with
    `If-Match` naming the version read (428 without, 412 when stale). 422 when the period is not `2026`,
    `2026-Q3` or `2026-07`; 409 `target-currency-mismatch` when the partner's other targets are in another
    currency (targets are not converted); 404 for a partner the registry does not know (nothing stored)."""
    await ensure_partner_known(secrets, partner_id)  # a partner the registry knows, as for its sales
    target, outcome = await service.put_target(
        session, partner_id, metric, period_in_path(period), body, if_match=if_match, now=now
    )
    if outcome is PutOutcome.CREATE:
        response.status_code = 201
        response.headers["Location"] = f"/v1/targets/{partner_id}/{metric.value}/{target.period}"
    set_etag(response, target.version)
    return service.target_out(target)


@router.get(
    "/{partner_id}/{metric}/{period}",
    response_model=TargetOut,
    summary="Get a partner's target",
    responses={**etag_response(200), **problems(403, 404, 422)},
    dependencies=[READ],
)
async def get_target(
    partner_id: UUID,
    metric: TargetMetric,
    period: PeriodPath,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
) -> TargetOut:
    """The target with its version as `ETag`. A partner's own credential sees only its own (404 otherwise)."""
    target = await service.visible_target(session, partner_id, metric, period_in_path(period), viewer=who)
    set_etag(response, target.version)
    return service.target_out(target)


@router.get(
    "",
    response_model=Page[TargetOut],
    summary="List targets",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_targets(
    session: SessionDep,
    who: PrincipalDep,
    partner_id: UUID | None = None,
    metric: TargetMetric | None = None,
    period: PeriodQuery = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[TargetOut]:
    """Targets by period; a partner's own credential lists only its own."""
    return await service.list_targets(
        session,
        viewer=who,
        partner_id=partner_id,
        metric=metric,
        period=period_in_query(period),
        limit=limit,
        cursor=cursor,
    )


@internal_router.get(
    "/partners/{partner_id}/targets", response_model=list[TargetOut], dependencies=[require("internal")]
)
async def internal_partner_targets(
    partner_id: UUID, session: SessionDep, period: PeriodQuery = None
) -> list[TargetOut]:
    return await service.partner_targets(session, partner_id, period_in_query(period))


@internal_router.get("/targets", response_model=list[TargetOut], dependencies=[require("internal")])
async def internal_period_targets(
    session: SessionDep,
    period: Annotated[
        str,
        Query(max_length=16, description="A year (`2026`), a quarter (`2026-Q3`) or a month (`2026-07`)."),
    ],
    metric: TargetMetric | None = None,
) -> list[TargetOut]:
    """Every partner's targets of the period (of one metric if named), by partner and metric."""
    chosen = period_in_query(period)
    assert chosen is not None  # a required parameter
    return await service.period_targets(session, chosen, metric)

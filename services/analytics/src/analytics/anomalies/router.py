"""HTTP of anomaly flags: `/v1/anomaly-flags` (list, get, review)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.pagination import Page
from prm_contracts.sales import AnomalyFlagOut, FlagCode, FlagReviewIn, FlagStatus
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from analytics.anomalies import service
from analytics.partners.access import VENDOR_ONLY

router = APIRouter(prefix="/v1/anomaly-flags", tags=["anomaly-flags"])

READ = require("analytics:read")
WRITE = require("analytics:write")


@router.get(
    "",
    response_model=Page[AnomalyFlagOut],
    summary="List anomaly flags",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_anomaly_flags(
    session: SessionDep,
    who: PrincipalDep,
    status: Annotated[FlagStatus | None, Query(description="Only flags in this state.")] = None,
    partner_id: Annotated[UUID | None, Query(description="Only this partner's flags.")] = None,
    code: Annotated[FlagCode | None, Query(description="Only flags raised by this rule.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AnomalyFlagOut]:
    """Flags the anomaly guard raised on stored lines, oldest first. The rules: `volume_spike` (a day's sales
    above 5x the median daily sales of the partner's days with sales in the 90 days before, with at least 14
    such days), `return_without_sale` (a return or credit note without `original_external_id` for a customer
    who never bought from the partner), `repeated_line` (a sale with the same customer, day, amount and
    currency as one stored or earlier in the delivery), `own_domain` (the customer's domain is the partner's
    own or a subdomain of it), `future_dated` (the line occurred or was paid more than a day after the day,
    UTC, it was received), `original_mismatch` (a return or credit note whose `original_external_id` names a
    line that is not a sale or is in another currency, or that the returns and credit notes naming it, with
    this one, take back more of than its amount or, returns, its quantity). A partner's own credential sees
    only its own flags (another's: 404)."""
    return await service.list_flags(
        session, viewer=who, partner_id=partner_id, status=status, code=code, limit=limit, cursor=cursor
    )


@router.get(
    "/{flag_id}",
    response_model=AnomalyFlagOut,
    summary="Get an anomaly flag",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_anomaly_flag(
    flag_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> AnomalyFlagOut:
    """The flag with its version as `ETag` (send it as `If-Match` to review). Another partner's: 404."""
    flag = await service.visible_flag(session, flag_id, viewer=who)
    set_etag(response, flag.version)
    return service.flag_out(flag)


@router.post(
    "/{flag_id}/review",
    response_model=AnomalyFlagOut,
    summary="Review an anomaly flag",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422, 428)},
    dependencies=[WRITE, VENDOR_ONLY],
)
async def review_anomaly_flag(
    flag_id: UUID,
    body: FlagReviewIn,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> AnomalyFlagOut:
    """Confirms (the line is wrong) or dismisses (it is fine) an open flag, once: `If-Match` must name the
    version read (428 without, 412 when stale); a flag already reviewed is a 409. Emits `sales.flag_reviewed`
    so incentives release or drop the line they hold. Not for a partner's own credential (403)."""
    flag = await service.review_flag(session, flag_id, body, reviewer=who, if_match=if_match, now=now)
    set_etag(response, flag.version)
    return service.flag_out(flag)

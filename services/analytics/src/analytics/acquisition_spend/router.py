"""HTTP of customer-acquisition spend: `/v1/acquisition-spend/{partner_id}/{period}`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.pagination import Page
from prm_contracts.periods import PERIOD_IN_DOCUMENT
from prm_contracts.problem import NotFound, ServiceUnavailable
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery
from prm_kit.periods import PeriodPath

from analytics.acquisition_spend import service
from analytics.acquisition_spend.schemas import AcquisitionSpendIn, AcquisitionSpendOut
from analytics.partners.access import VENDOR_ONLY
from analytics.partners.known import ensure_partner_known
from analytics.sales.secrets import WebhookSecretsDep
from analytics.targets.put_rules import PutOutcome, period_in_path, period_in_query

router = APIRouter(prefix="/v1/acquisition-spend", tags=["acquisition-spend"])

READ = require("analytics:read")
WRITE = require("analytics:write")


@router.put(
    "/{partner_id}/{period}",
    response_model=AcquisitionSpendOut,
    summary="Set a partner's acquisition spend",
    responses={
        **etag_response(200),
        201: {"model": AcquisitionSpendOut, "description": "Created"} | etag_response(201)[201],
        **problems(403, 404, 412, 422, 428, 503, only={404: [NotFound.slug], 503: [ServiceUnavailable.slug]}),
    },
    dependencies=[WRITE, VENDOR_ONLY],
)
async def put_acquisition_spend(
    partner_id: UUID,
    period: PeriodPath,
    body: AcquisitionSpendIn,
    session: SessionDep,
    response: Response,
    now: NowDep,
    secrets: WebhookSecretsDep,
    if_match: IfMatchHeader = None,
) -> AcquisitionSpendOut:
    """Creates the spend (201), leaves it when sent unchanged (200), or replaces it (200) with `If-Match`
    naming the version read (428 without, 412 when stale). Not for a partner's own credential; 404 for a
    partner the registry does not know (nothing stored)."""
    await ensure_partner_known(secrets, partner_id)  # a partner the registry knows, as for its sales
    spend, outcome = await service.put_spend(
        session, partner_id, period_in_path(period), body, if_match=if_match, now=now
    )
    if outcome is PutOutcome.CREATE:
        response.status_code = 201
        response.headers["Location"] = f"/v1/acquisition-spend/{partner_id}/{spend.period}"
    set_etag(response, spend.version)
    return service.spend_out(spend)


@router.get(
    "/{partner_id}/{period}",
    response_model=AcquisitionSpendOut,
    summary="Get a partner's acquisition spend",
    responses={**etag_response(200), **problems(403, 404, 422)},
    dependencies=[READ],
)
async def get_acquisition_spend(
    partner_id: UUID, period: PeriodPath, session: SessionDep, who: PrincipalDep, response: Response
) -> AcquisitionSpendOut:
    """A partner's own credential sees only its own (404 otherwise)."""
    spend = await service.visible_spend(session, partner_id, period_in_path(period), viewer=who)
    set_etag(response, spend.version)
    return service.spend_out(spend)


@router.get(
    "",
    response_model=Page[AcquisitionSpendOut],
    summary="List acquisition spend",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_acquisition_spend(
    session: SessionDep,
    who: PrincipalDep,
    partner_id: UUID | None = None,
    period: Annotated[str | None, Query(max_length=16, json_schema_extra=PERIOD_IN_DOCUMENT)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AcquisitionSpendOut]:
    """Spend by period; a partner's own credential lists only its own."""
    return await service.list_spend(
        session, viewer=who, partner_id=partner_id, period=period_in_query(period), limit=limit, cursor=cursor
    )

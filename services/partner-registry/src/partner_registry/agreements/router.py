"""HTTP of agreements: a partner's at `/v1/partners/{partner_id}/agreements`, and their expiry sweep at
`/v1/agreements/expiry-sweeps`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.agreements import AgreementIn, AgreementOut, AgreementPatch, AgreementStatus
from prm_contracts.pagination import Page
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from partner_registry.agreements import service
from partner_registry.agreements.schemas import AgreementExpirySweepOut, agreement_out

partner_router = APIRouter(prefix="/v1/partners/{partner_id}/agreements", tags=["agreements"])
sweeps_router = APIRouter(prefix="/v1/agreements", tags=["agreements"])

READ = require("partners:read")
WRITE = require("partners:write")
ADMIN = require("admin")


@partner_router.get(
    "",
    response_model=Page[AgreementOut],
    summary="List a partner's agreements",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_partner_agreements(
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    status: Annotated[list[AgreementStatus] | None, Query(description="Any of these statuses.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AgreementOut]:
    """The partner's agreements, the latest start first. A partner's own credential reads its own."""
    return await service.list_agreements(
        session, partner_id, viewer=who, statuses=status or [], limit=limit, cursor=cursor
    )


@partner_router.post(
    "",
    status_code=201,
    response_model=AgreementOut,
    summary="Record an agreement with a partner",
    responses={**etag_response(201), **problems(403, 404, 409, 422)},
    dependencies=[WRITE],
)
async def add_partner_agreement(
    partner_id: UUID,
    body: AgreementIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
) -> Response:
    """Records an agreement as `draft` or, with `signed_on`, as `active`. 409 when the partner is
    terminated. Not open to a partner's own credential."""
    agreement = await service.add_agreement(session, partner_id, body, actor=who, now=now)
    location = f"/v1/partners/{partner_id}/agreements/{agreement.id}"
    return await created(
        session, idempotency, agreement_out(agreement), location=location, version=agreement.version
    )


@partner_router.get(
    "/{agreement_id}",
    response_model=AgreementOut,
    summary="Get a partner's agreement",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_partner_agreement(
    partner_id: UUID, agreement_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> AgreementOut:
    """The agreement, with its version as `ETag` for a later update."""
    agreement = await service.visible_agreement(session, partner_id, agreement_id, viewer=who)
    set_etag(response, agreement.version)
    return agreement_out(agreement)


@partner_router.patch(
    "/{agreement_id}",
    response_model=AgreementOut,
    summary="Update a partner's agreement",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422, 428)},
    dependencies=[WRITE],
)
async def update_partner_agreement(
    partner_id: UUID,
    agreement_id: UUID,
    body: AgreementPatch,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> AgreementOut:
    """Changes the fields sent; `status` moves draft → active (needs `signed_on`) → expired (once `ends_on`
    has passed) | terminated. `If-Match` is required (428 without, 412 when stale); 409 for a status move
    the lifecycle has no arrow for, or a change to an expired or terminated agreement."""
    agreement = await service.update_agreement(
        session, partner_id, agreement_id, body, if_match=if_match, actor=who, now=now
    )
    set_etag(response, agreement.version)
    return agreement_out(agreement)


@partner_router.delete(
    "/{agreement_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a draft agreement",
    responses=problems(403, 404, 409, 412),
    dependencies=[WRITE],
)
async def remove_partner_agreement(
    partner_id: UUID,
    agreement_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    if_match: IfMatchHeader = None,
) -> None:
    """Removes a draft; a signed agreement stays on record (409). `If-Match` optional, checked when sent."""
    await service.remove_agreement(session, partner_id, agreement_id, if_match=if_match, actor=who)


@sweeps_router.post(
    "/expiry-sweeps",
    status_code=200,
    response_model=AgreementExpirySweepOut,
    summary="Expire agreements whose end has passed",
    responses=problems(403),
    dependencies=[ADMIN],
)
async def sweep_expired_agreements(session: SessionDep, now: NowDep) -> AgreementExpirySweepOut:
    """Marks every active agreement whose `ends_on` is before today (UTC) as `expired`. The service also
    does this in the background; this runs one sweep now. Admin only. 200 with what it expired: a sweep is
    an action, and creates nothing addressable."""
    return await service.sweep_expired(session, now)


# what the app includes: both of the above
router = APIRouter()
router.include_router(partner_router)
router.include_router(sweeps_router)

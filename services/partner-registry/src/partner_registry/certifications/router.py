"""HTTP of certifications: `/v1/partners/{partner_id}/certifications` and `/v1/certifications/expiring`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.certifications import CertificationIn, CertificationOut, CertificationPatch
from prm_contracts.pagination import Page
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from partner_registry.certifications import service
from partner_registry.certifications.schemas import certification_out

router = APIRouter(prefix="/v1/partners/{partner_id}/certifications", tags=["certifications"])
expiring_router = APIRouter(prefix="/v1/certifications", tags=["certifications"])

READ = require("partners:read")
WRITE = require("partners:write")

MAX_WITHIN_DAYS = 3660


@expiring_router.get(
    "/expiring",
    response_model=Page[CertificationOut],
    summary="List certifications about to expire",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_expiring_certifications(
    session: SessionDep,
    who: PrincipalDep,
    now: NowDep,
    within_days: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_WITHIN_DAYS,
            description="Expiring from today to this many days from today (UTC), both included; 0 is today.",
        ),
    ],
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[CertificationOut]:
    """Certifications of every partner that expire within `within_days` days, the soonest first; each names
    its partner (and contact). A partner's own credential sees only its own."""
    return await service.expiring_certifications(
        session, viewer=who, within_days=within_days, limit=limit, cursor=cursor, now=now
    )


@router.get(
    "",
    response_model=Page[CertificationOut],
    summary="List a partner's certifications",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_partner_certifications(
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    contact_id: Annotated[UUID | None, Query(description="Only this contact's certifications.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[CertificationOut]:
    """The partner's and its people's certifications, the latest issued first."""
    return await service.list_certifications(
        session, partner_id, viewer=who, contact_id=contact_id, limit=limit, cursor=cursor
    )


@router.post(
    "",
    status_code=201,
    response_model=CertificationOut,
    summary="Add a certification to a partner",
    responses={**etag_response(201), **problems(403, 404, 409, 422)},
    dependencies=[WRITE],
)
async def add_partner_certification(
    partner_id: UUID,
    body: CertificationIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
) -> Response:
    """Records a certificate of the partner, or of one of its contacts (`contact_id`, 422 when not this
    partner's). It must expire after it was issued (422). 409 when the partner is terminated. Not open to
    a partner's own credential."""
    certification = await service.add_certification(session, partner_id, body, actor=who, now=now)
    location = f"/v1/partners/{partner_id}/certifications/{certification.id}"
    return await created(
        session,
        idempotency,
        certification_out(certification),
        location=location,
        version=certification.version,
    )


@router.get(
    "/{certification_id}",
    response_model=CertificationOut,
    summary="Get a partner's certification",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_partner_certification(
    partner_id: UUID, certification_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> CertificationOut:
    """The certification, with its version as `ETag` for a later update."""
    certification = await service.visible_certification(session, partner_id, certification_id, viewer=who)
    set_etag(response, certification.version)
    return certification_out(certification)


@router.patch(
    "/{certification_id}",
    response_model=CertificationOut,
    summary="Update a partner's certification",
    responses={**etag_response(200), **problems(403, 404, 412, 422, 428)},
    dependencies=[WRITE],
)
async def update_partner_certification(
    partner_id: UUID,
    certification_id: UUID,
    body: CertificationPatch,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> CertificationOut:
    """Changes the fields sent. `If-Match` is required (428 without, 412 when stale); 422 when it would
    expire on or before it was issued."""
    certification = await service.update_certification(
        session, partner_id, certification_id, body, if_match=if_match, actor=who, now=now
    )
    set_etag(response, certification.version)
    return certification_out(certification)


@router.delete(
    "/{certification_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a partner's certification",
    responses=problems(403, 404, 412),
    dependencies=[WRITE],
)
async def remove_partner_certification(
    partner_id: UUID,
    certification_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    if_match: IfMatchHeader = None,
) -> None:
    """Removes the certification (`If-Match` optional, checked when sent)."""
    await service.remove_certification(session, partner_id, certification_id, if_match=if_match, actor=who)

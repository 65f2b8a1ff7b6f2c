"""HTTP of deal registrations: `/v1/deal-registrations`, their review, extension, outcome and expiry."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Response
from prm_contracts.deal_registrations import (
    CustomerDomain,
    DealRegistrationIn,
    DealRegistrationOut,
    DealRegistrationStatus,
    DecisionIn,
    ExpirySweepOut,
    ExtensionIn,
    LostOutcome,
    WonOutcome,
)
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.db.json_items import JSON_MEDIA_TYPE
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_headers, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, IdempotentRequest, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.config import SettingsDep
from partner_registry.deal_registrations import decisions, outcome, protection, reading, submission
from partner_registry.deal_registrations.models import DealRegistration
from partner_registry.deal_registrations.policy import DealPolicy
from partner_registry.deal_registrations.reading import WEAK_ETAGS
from partner_registry.deal_registrations.schemas import DealFilters, DealHistoryEntryOut

router = APIRouter(prefix="/v1/deal-registrations", tags=["deal-registrations"])

READ = require("deal-registrations:read")
WRITE = require("deal-registrations:write")
ADMIN = require("admin")


async def deal_policy(settings: SettingsDep) -> DealPolicy:
    """The deal rules from the service's settings (`PRM_DEAL_*`). (`async` only so that FastAPI calls it
    inline rather than through its thread pool.)"""
    return DealPolicy(
        auto_approve=settings.deal_auto_approve,
        name_threshold=settings.deal_name_match_threshold,
        protection=timedelta(days=settings.deal_protection_days),
        extension=timedelta(days=settings.deal_extension_days),
        candidate_limit=settings.deal_conflict_candidate_limit,
    )


PolicyDep = Annotated[DealPolicy, Depends(deal_policy)]


async def _changed(
    session: AsyncSession,
    idempotency: IdempotentRequest,
    registration: DealRegistration,
    *,
    viewer: Principal,
    now: datetime,
) -> Response:
    """200 with the changed registration as `viewer` sees it and its ETag, kept for replays of the request's
    Idempotency-Key."""
    return await idempotency.respond(
        session,
        reading.view(registration, viewer=viewer, now=now),
        status_code=200,
        headers=etag_headers(registration.version, weak=WEAK_ETAGS),
    )


@router.post(
    "",
    status_code=201,
    response_model=DealRegistrationOut,
    summary="Register a deal",
    responses={**etag_response(201), **problems(403, 409, 422)},
    dependencies=[WRITE],
)
async def submit_deal_registration(
    body: DealRegistrationIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    policy: PolicyDep,
    now: NowDep,
) -> Response:
    """Registers an opportunity and checks it for conflicts: other partners' open registrations for the same
    customer (domain, or a name matching closely) and their products, the vendor's house accounts, and other
    partners' exclusive territories. Without conflicts it is `approved` at once (when auto-approval is on)
    and protected for the configured days; with any it is `pending_review` with the conflicts listed.
    A partner's own credential registers for its own partner (403 for another) and sees its conflicts
    without the other parties; 422 for an unknown partner, 409 when the partner is not active."""
    registration = await submission.submit(session, body, submitted_by=who, policy=policy, now=now)
    return await created(
        session,
        idempotency,
        reading.view(registration, viewer=who, now=now),
        location=f"/v1/deal-registrations/{registration.id}",
        version=registration.version,
        weak_etag=WEAK_ETAGS,
    )


@router.get(
    "",
    response_model=Page[DealRegistrationOut],
    summary="List deal registrations",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_deal_registrations(
    session: SessionDep,
    who: PrincipalDep,
    now: NowDep,
    partner_id: Annotated[UUID | None, Query(description="Only this partner's registrations.")] = None,
    status: Annotated[
        list[DealRegistrationStatus] | None,
        Query(description="Any of these statuses (as of now: a lapsed approval is `expired`)."),
    ] = None,
    customer_domain: Annotated[
        CustomerDomain | None, Query(description="For this customer domain (any spelling of it).")
    ] = None,
    has_conflicts: Annotated[
        bool | None, Query(description="Only those with (or without) conflicts.")
    ] = None,
    expiring_within_days: Annotated[
        int | None,
        Query(ge=1, le=3650, description="Approved ones whose protection runs out within this many days."),
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Response:
    """Registrations matching every filter given, newest first. A partner's own credential lists only its
    own partner's (403 when it names another)."""
    filters = DealFilters(
        partner_id=partner_id,
        statuses=status or [],
        customer_domain=customer_domain,
        has_conflicts=has_conflicts,
        expiring_within_days=expiring_within_days,
    )
    page = await reading.list_registrations(session, filters, viewer=who, limit=limit, cursor=cursor, now=now)
    return Response(content=page, media_type=JSON_MEDIA_TYPE)


@router.post(
    "/expiry-sweeps",
    status_code=200,
    response_model=ExpirySweepOut,
    summary="Expire registrations whose protection ran out",
    responses=problems(403),
    dependencies=[ADMIN],
)
async def sweep_expired_deal_registrations(session: SessionDep, now: NowDep) -> ExpirySweepOut:
    """Marks every approved registration whose protection has run out as `expired`, with its event. The
    service also does this in the background; this runs one sweep now. Admin only. 200 with what it expired:
    a sweep is an action, and creates nothing addressable."""
    return await protection.sweep_expired(session, now=now)


@router.get(
    "/{deal_registration_id:uuid}",
    response_model=DealRegistrationOut,
    summary="Get a deal registration",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_deal_registration(
    deal_registration_id: UUID, session: SessionDep, who: PrincipalDep, response: Response, now: NowDep
) -> DealRegistrationOut:
    """The registration with its conflicts (for a partner's own credential: without the other parties)."""
    registration = await reading.visible_registration(session, deal_registration_id, viewer=who)
    set_etag(response, registration.version, weak=WEAK_ETAGS)
    return reading.view(registration, viewer=who, now=now)


@router.get(
    "/{deal_registration_id}/history",
    response_model=Page[DealHistoryEntryOut],
    summary="List a deal registration's history",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_deal_registration_history(
    deal_registration_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[DealHistoryEntryOut]:
    """Every step of the registration, newest first: who, when, from which status to which, and why."""
    return await reading.registration_history(
        session, deal_registration_id, viewer=who, limit=limit, cursor=cursor
    )


@router.post(
    "/{deal_registration_id}/decision",
    response_model=DealRegistrationOut,
    summary="Approve or reject a deal registration",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422)},
    dependencies=[WRITE],
)
async def decide_deal_registration(
    deal_registration_id: UUID,
    body: DecisionIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    policy: PolicyDep,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> Response:
    """A channel manager's decision on a registration in review, with its reason; approval starts the
    protection. 409 with `allowed` when the registration is not in review. Not open to a partner's own
    credential. `If-Match` is optional and checked when sent."""
    registration = await decisions.decide(
        session, deal_registration_id, body, if_match=if_match, actor=who, policy=policy, now=now
    )
    return await _changed(session, idempotency, registration, viewer=who, now=now)


@router.post(
    "/{deal_registration_id}/extension",
    response_model=DealRegistrationOut,
    summary="Extend a deal registration's protection",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422)},
    dependencies=[WRITE],
)
async def extend_deal_registration(
    deal_registration_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    policy: PolicyDep,
    now: NowDep,
    body: ExtensionIn | None = None,
    if_match: IfMatchHeader = None,
) -> Response:
    """Lengthens the protection of an approved registration, once, by the configured days. 409
    `extension-already-used` for a second one, `extension-not-allowed` when it is not approved or its
    protection has run out."""
    registration = await protection.extend(
        session,
        deal_registration_id,
        body or ExtensionIn(),
        if_match=if_match,
        actor=who,
        policy=policy,
        now=now,
    )
    return await _changed(session, idempotency, registration, viewer=who, now=now)


@router.post(
    "/{deal_registration_id}/outcome",
    response_model=DealRegistrationOut,
    summary="Record a deal registration's outcome",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422)},
    dependencies=[WRITE],
)
async def record_deal_registration_outcome(
    deal_registration_id: UUID,
    body: Annotated[WonOutcome | LostOutcome, Body(discriminator="outcome")],
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> Response:
    """Closes an approved registration: `won` with the final amount, or `lost` with the reason. 409 with
    `allowed` from any other status (an approval whose protection ran out is expired)."""
    registration = await outcome.record_outcome(
        session, deal_registration_id, body, if_match=if_match, actor=who, now=now
    )
    return await _changed(session, idempotency, registration, viewer=who, now=now)

"""HTTP of tiers: the ladder at `/v1/tiers`, and a partner's tier changes and tier history."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.pagination import Page
from prm_contracts.tiers import TierChangeIn, TierChangeOut, TierIn, TierOut, TierPatch
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from partner_registry.tiers import service
from partner_registry.tiers.schemas import tier_change_out, tier_out

router = APIRouter(prefix="/v1/tiers", tags=["tiers"])
partner_tiers_router = APIRouter(prefix="/v1/partners/{partner_id}", tags=["tiers"])

READ_TIERS = require("tiers:read")
WRITE_TIERS = require("tiers:write")
READ_PARTNERS = require("partners:read")
WRITE_PARTNERS = require("partners:write")


@router.get(
    "",
    response_model=Page[TierOut],
    summary="List the tier ladder",
    responses=problems(403, 422),
    dependencies=[READ_TIERS],
)
async def list_tiers(
    session: SessionDep,
    key: Annotated[list[str] | None, Query(description="Only the tiers with these keys.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[TierOut]:
    """The tiers from the lowest rank up, with their requirements and benefits."""
    return await service.list_tiers(session, keys=key or [], limit=limit, cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=TierOut,
    summary="Add a tier to the ladder",
    responses={**etag_response(201), **problems(403, 409, 422)},
    dependencies=[WRITE_TIERS],
)
async def create_tier(
    body: TierIn, session: SessionDep, who: PrincipalDep, idempotency: IdempotencyDep, now: NowDep
) -> Response:
    """Adds a tier. 409 when its key or rank is taken. Not open to a partner's own credential."""
    tier = await service.create_tier(session, body, actor=who, now=now)
    return await created(
        session, idempotency, tier_out(tier), location=f"/v1/tiers/{tier.id}", version=tier.version
    )


@router.get(
    "/{tier_id}",
    response_model=TierOut,
    summary="Get a tier",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ_TIERS],
)
async def get_tier(tier_id: UUID, session: SessionDep, response: Response) -> TierOut:
    """The tier, with its version as `ETag` for a later update."""
    tier = await service.visible_tier(session, tier_id)
    set_etag(response, tier.version)
    return tier_out(tier)


@router.patch(
    "/{tier_id}",
    response_model=TierOut,
    summary="Update a tier",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422, 428)},
    dependencies=[WRITE_TIERS],
)
async def update_tier(
    tier_id: UUID,
    body: TierPatch,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> TierOut:
    """Changes the fields sent (`requirements` and `benefits` as a whole). `If-Match` is required (428
    without, 412 when stale); 409 when the new rank is taken. The key never changes."""
    tier = await service.update_tier(session, tier_id, body, if_match=if_match, actor=who, now=now)
    set_etag(response, tier.version)
    return tier_out(tier)


@router.delete(
    "/{tier_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a tier",
    responses=problems(403, 404, 409, 412),
    dependencies=[WRITE_TIERS],
)
async def delete_tier(
    tier_id: UUID, session: SessionDep, who: PrincipalDep, if_match: IfMatchHeader = None
) -> None:
    """Removes a tier no partner holds; 409 `tier-in-use` otherwise. `If-Match` optional, checked when sent.
    Tier histories keep the key."""
    await service.delete_tier(session, tier_id, if_match=if_match, actor=who)


@partner_tiers_router.post(
    "/tier-changes",
    status_code=201,
    response_model=TierChangeOut,
    summary="Change a partner's tier",
    responses=problems(403, 404, 409, 412, 422),
    dependencies=[WRITE_PARTNERS],
)
async def change_partner_tier(
    partner_id: UUID,
    body: TierChangeIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> Response:
    """Moves the partner to another tier of the ladder, by hand or applying a scoring recommendation
    (`source: scoring_recommendation` with its `recommendation_id`, applied once). The partner's `tier`
    follows; the change is kept in the tier history and the partner's history and announced as
    `partner.tier_changed`. 422 for an unknown tier or an effective day in the future or before the last
    change; 409 when the partner already holds the tier or is terminated. `If-Match` (the partner's ETag)
    is optional and checked when sent."""
    change = await service.change_tier(session, partner_id, body, if_match=if_match, actor=who, now=now)
    return await idempotency.respond(session, tier_change_out(change), status_code=201)


@partner_tiers_router.get(
    "/tier-history",
    response_model=Page[TierChangeOut],
    summary="List a partner's tier history",
    responses=problems(403, 404, 422),
    dependencies=[READ_PARTNERS],
)
async def list_partner_tier_history(
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[TierChangeOut]:
    """Every tier the partner was moved to, newest first, with the day it took effect, why and by whom."""
    return await service.tier_history(session, partner_id, viewer=who, limit=limit, cursor=cursor)

"""HTTP of territories: `/v1/partners/{partner_id}/territories` and `/v1/territories/conflicts`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.pagination import Page
from prm_contracts.partners import CountryCode
from prm_contracts.territories import TerritoryConflictOut, TerritoryIn, TerritoryOut, TerritoryPatch
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from partner_registry.territories import service
from partner_registry.territories.service import WEAK_ETAGS

router = APIRouter(prefix="/v1/partners/{partner_id}/territories", tags=["territories"])
conflicts_router = APIRouter(prefix="/v1/territories", tags=["territories"])

READ = require("partners:read")
WRITE = require("partners:write")


@router.get(
    "",
    response_model=Page[TerritoryOut],
    summary="List a partner's territories",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_partner_territories(
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[TerritoryOut]:
    """The partner's territories in the order they were assigned, each with its conflicts."""
    return await service.list_territories(session, partner_id, viewer=who, limit=limit, cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=TerritoryOut,
    summary="Assign a territory to a partner",
    responses={**etag_response(201), **problems(403, 404, 409, 422)},
    dependencies=[WRITE],
)
async def add_partner_territory(
    partner_id: UUID,
    body: TerritoryIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
) -> Response:
    """Assigns a territory. One that overlaps another partner's territory where either is exclusive is
    stored all the same, flagged with `conflict_count` and `conflicting_territory_ids`, and listed at
    `GET /v1/territories/conflicts`. 409 when the partner already has exactly this scope or is terminated.
    Not open to a partner's own credential."""
    territory = await service.add_territory(session, partner_id, body, actor=who, now=now)
    out = await service.view(session, territory, viewer=who)
    location = f"/v1/partners/{partner_id}/territories/{territory.id}"
    return await created(
        session, idempotency, out, location=location, version=territory.version, weak_etag=WEAK_ETAGS
    )


@router.get(
    "/{territory_id}",
    response_model=TerritoryOut,
    summary="Get a partner's territory",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_partner_territory(
    partner_id: UUID, territory_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> TerritoryOut:
    """The territory with its conflicts; the (weak) `ETag` names its version."""
    territory = await service.visible_territory(session, partner_id, territory_id, viewer=who)
    set_etag(response, territory.version, weak=WEAK_ETAGS)
    return await service.view(session, territory, viewer=who)


@router.patch(
    "/{territory_id}",
    response_model=TerritoryOut,
    summary="Update a partner's territory",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422, 428)},
    dependencies=[WRITE],
)
async def update_partner_territory(
    partner_id: UUID,
    territory_id: UUID,
    body: TerritoryPatch,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> TerritoryOut:
    """Changes the fields sent and recomputes the territory's conflicts. `If-Match` is required (428
    without, 412 when stale)."""
    territory = await service.update_territory(
        session, partner_id, territory_id, body, if_match=if_match, actor=who, now=now
    )
    set_etag(response, territory.version, weak=WEAK_ETAGS)
    return await service.view(session, territory, viewer=who)


@router.delete(
    "/{territory_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a partner's territory",
    responses=problems(403, 404, 412),
    dependencies=[WRITE],
)
async def remove_partner_territory(
    partner_id: UUID,
    territory_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> None:
    """Removes the territory and the conflicts it was part of (`If-Match` optional, checked when sent)."""
    await service.remove_territory(session, partner_id, territory_id, if_match=if_match, actor=who, now=now)


@conflicts_router.get(
    "/conflicts",
    response_model=Page[TerritoryConflictOut],
    summary="List territory conflicts",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_territory_conflicts(
    session: SessionDep,
    who: PrincipalDep,
    partner_id: Annotated[
        UUID | None, Query(description="Conflicts this partner is on either side of.")
    ] = None,
    country: Annotated[CountryCode | None, Query(description="Conflicts in this country.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[TerritoryConflictOut]:
    """Pairs of different partners' territories that overlap where at least one is exclusive, newest first.
    For the vendor's channel team: not open to a partner's own credential."""
    return await service.list_conflicts(
        session, viewer=who, partner_id=partner_id, country=country, limit=limit, cursor=cursor
    )

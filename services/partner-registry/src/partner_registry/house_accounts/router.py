"""HTTP of the vendor's direct (house) accounts: `/v1/house-accounts`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.deal_registrations import CustomerDomain
from prm_contracts.pagination import Page
from prm_contracts.partners import CountryCode
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from partner_registry.house_accounts import service
from partner_registry.house_accounts.schemas import (
    HouseAccountIn,
    HouseAccountOut,
    HouseAccountPatch,
    house_account_out,
)

router = APIRouter(prefix="/v1/house-accounts", tags=["house-accounts"])

READ = require("deal-registrations:read")
WRITE = require("deal-registrations:write")


@router.get(
    "",
    response_model=Page[HouseAccountOut],
    summary="List house accounts",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_house_accounts(
    session: SessionDep,
    who: PrincipalDep,
    country: Annotated[CountryCode | None, Query(description="Only accounts in this country.")] = None,
    customer_domain: Annotated[
        CustomerDomain | None, Query(description="The account with this domain (any spelling of it).")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[HouseAccountOut]:
    """House accounts in the order they were added. Not open to a partner's own credential."""
    return await service.list_house_accounts(
        session, viewer=who, country=country, customer_domain=customer_domain, limit=limit, cursor=cursor
    )


@router.post(
    "",
    status_code=201,
    response_model=HouseAccountOut,
    summary="Add a house account",
    responses={**etag_response(201), **problems(403, 409, 422)},
    dependencies=[WRITE],
)
async def add_house_account(
    body: HouseAccountIn, session: SessionDep, who: PrincipalDep, idempotency: IdempotencyDep, now: NowDep
) -> Response:
    """Adds a customer the vendor serves directly; 409 when another house account has its domain."""
    account = await service.add_house_account(session, body, actor=who, now=now)
    location = f"/v1/house-accounts/{account.id}"
    return await created(
        session, idempotency, house_account_out(account), location=location, version=account.version
    )


@router.get(
    "/{house_account_id}",
    response_model=HouseAccountOut,
    summary="Get a house account",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_house_account(
    house_account_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> HouseAccountOut:
    """The house account, with its version as `ETag` for a later update."""
    account = await service.visible_house_account(session, house_account_id, viewer=who)
    set_etag(response, account.version)
    return house_account_out(account)


@router.patch(
    "/{house_account_id}",
    response_model=HouseAccountOut,
    summary="Update a house account",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422, 428)},
    dependencies=[WRITE],
)
async def update_house_account(
    house_account_id: UUID,
    body: HouseAccountPatch,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> HouseAccountOut:
    """Changes the fields sent. `If-Match` is required (428 without, 412 when stale); 409 when another
    house account has the new domain."""
    account = await service.update_house_account(
        session, house_account_id, body, if_match=if_match, actor=who, now=now
    )
    set_etag(response, account.version)
    return house_account_out(account)


@router.delete(
    "/{house_account_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a house account",
    responses=problems(403, 404, 412),
    dependencies=[WRITE],
)
async def remove_house_account(
    house_account_id: UUID, session: SessionDep, who: PrincipalDep, if_match: IfMatchHeader = None
) -> None:
    """Removes the house account (`If-Match` optional, checked when sent)."""
    await service.remove_house_account(session, house_account_id, if_match=if_match, actor=who)

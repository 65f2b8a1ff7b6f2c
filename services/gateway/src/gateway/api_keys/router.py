"""`/v1/admin/api-keys`: create, list, read and revoke API keys (admin scope, partner-unbound keys only)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response
from prm_contracts.pagination import Page
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.pagination import CursorQuery, LimitQuery

from gateway.api_keys import service
from gateway.api_keys.models import ApiKey
from gateway.api_keys.partners import RegistryDep, ensure_partner_exists
from gateway.api_keys.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut
from gateway.auth import Authenticator
from gateway.callers import AdminDep

router = APIRouter(prefix="/v1/admin/api-keys", tags=["api-keys"])


@router.post(
    "",
    status_code=201,
    response_model=ApiKeyCreated,
    responses=problems(409, 422, 503),
    summary="Create an API key",
    description="The answer carries the key itself, once: only its hash is stored. A key bound to a "
    "partner (`partner_id`) needs a partner the registry knows (422 otherwise; 503 when the registry "
    "cannot be asked).",
)
async def create_api_key(
    body: ApiKeyIn,
    session: SessionDep,
    _admin: AdminDep,
    now: NowDep,
    response: Response,
    registry: RegistryDep,
) -> ApiKeyCreated:
    key, plaintext = await service.create_key(
        session, name=body.name, scopes=list(body.scopes), partner_id=body.partner_id, now=now
    )
    if body.partner_id is not None:
        # after the key's own checks, before the commit: a refusal here stores nothing
        await ensure_partner_exists(registry, body.partner_id)
    response.headers["Location"] = f"{router.prefix}/{key.id}"
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), key=plaintext)


@router.get(
    "",
    response_model=Page[ApiKeyOut],
    responses=problems(422),
    summary="List API keys",
    description="Every key, revoked ones included, oldest first. Never their secret part.",
)
async def list_api_keys(
    session: SessionDep, _admin: AdminDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[ApiKeyOut]:
    return await service.page_of_keys(session, limit=limit, cursor=cursor)


@router.get("/{key_id}", response_model=ApiKeyOut, responses=problems(404), summary="Get an API key")
async def get_api_key(key_id: UUID, session: SessionDep, _admin: AdminDep) -> ApiKey:
    """The key, revoked or not, with when it was last used. Never its secret part."""
    return await service.get_key(session, key_id)


@router.post(
    "/{key_id}/revoke",
    response_model=ApiKeyOut,
    responses=problems(404),
    summary="Revoke an API key",
    description="The key stops working at once on this gateway, and within seconds on every replica. "
    "Revoking a revoked key changes nothing.",
)
async def revoke_api_key(
    key_id: UUID, session: SessionDep, _admin: AdminDep, request: Request, now: NowDep
) -> ApiKey:
    key = await service.revoke_key(session, key_id, now=now)
    authenticator: Authenticator = request.app.state.authenticator
    authenticator.revoked(key.id)
    return key

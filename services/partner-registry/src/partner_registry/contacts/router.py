"""HTTP of a partner's contacts: `/v1/partners/{partner_id}/contacts`."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from prm_contracts.pagination import Page
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from partner_registry.contacts import service
from partner_registry.contacts.schemas import ContactIn, ContactOut, ContactPatch, contact_out

router = APIRouter(prefix="/v1/partners/{partner_id}/contacts", tags=["contacts"])

READ = require("partners:read")
WRITE = require("partners:write")


@router.get(
    "",
    response_model=Page[ContactOut],
    summary="List a partner's contacts",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_partner_contacts(
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ContactOut]:
    """The partner's contacts in the order they were added."""
    return await service.list_contacts(session, partner_id, viewer=who, limit=limit, cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=ContactOut,
    summary="Add a contact to a partner",
    responses={**etag_response(201), **problems(403, 404, 409, 422)},
    dependencies=[WRITE],
)
async def add_partner_contact(
    partner_id: UUID,
    body: ContactIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
) -> Response:
    """Adds a contact. 409 when it would be a second primary contact, or the partner is terminated."""
    contact = await service.add_contact(session, partner_id, body, actor=who, now=now)
    location = f"/v1/partners/{partner_id}/contacts/{contact.id}"
    return await created(
        session, idempotency, contact_out(contact), location=location, version=contact.version
    )


@router.get(
    "/{contact_id}",
    response_model=ContactOut,
    summary="Get a partner's contact",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_partner_contact(
    partner_id: UUID, contact_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> ContactOut:
    """The contact, with its version as `ETag` for a later update."""
    contact = await service.visible_contact(session, partner_id, contact_id, viewer=who)
    set_etag(response, contact.version)
    return contact_out(contact)


@router.patch(
    "/{contact_id}",
    response_model=ContactOut,
    summary="Update a partner's contact",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422, 428)},
    dependencies=[WRITE],
)
async def update_partner_contact(
    partner_id: UUID,
    contact_id: UUID,
    body: ContactPatch,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> ContactOut:
    """Changes the fields sent. `If-Match` is required (428 without, 412 when stale); 409 when it would
    make a second primary contact."""
    contact = await service.update_contact(
        session, partner_id, contact_id, body, if_match=if_match, actor=who, now=now
    )
    set_etag(response, contact.version)
    return contact_out(contact)


@router.delete(
    "/{contact_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a partner's contact",
    responses=problems(403, 404, 412),
    dependencies=[WRITE],
)
async def remove_partner_contact(
    partner_id: UUID,
    contact_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> None:
    """Removes the contact (`If-Match` optional, checked when sent)."""
    await service.remove_contact(session, partner_id, contact_id, if_match=if_match, actor=who, now=now)

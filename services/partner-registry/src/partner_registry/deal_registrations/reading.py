"""Reading deal registrations: one as its viewer may see it, the lists, a registration's history."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from prm_contracts.deal_registrations import DealRegistrationOut
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import NotFound
from prm_kit.db.core import is_postgresql
from prm_kit.db.json_items import page_body
from prm_kit.etag import check_if_match
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.deal_registrations import repository
from partner_registry.deal_registrations.models import DealRegistration
from partner_registry.deal_registrations.schemas import (
    DealFilters,
    DealHistoryEntryOut,
    deal_registration_item,
    deal_registration_out,
    history_entry_out,
)

# A registration's status moves with the clock (approved → expired) and a partner's own credential sees its
# conflicts redacted: one version has several representations, so its entity tags are weak (prm_kit.etag).
WEAK_ETAGS = True
ORDER = "-created_at"
HISTORY_ORDER = "-occurred_at"
REGISTRATION_PAGE = Page[DealRegistrationOut]


async def visible_registration(
    session: AsyncSession, registration_id: UUID, *, viewer: Principal, for_update: bool = False
) -> DealRegistration:
    """The registration if it exists and `viewer` may see it: 404, or 403 for another partner's credential."""
    registration = await repository.registration_by_id(session, registration_id, for_update=for_update)
    if registration is None:
        raise NotFound(f"no deal registration {registration_id}")
    viewer.partner_scope(registration.partner_id)
    return registration


async def registration_to_change(
    session: AsyncSession, registration_id: UUID, *, actor: Principal, if_match: str | None
) -> DealRegistration:
    """The registration `actor` is changing, locked until the transaction ends; 412 when `if_match` (optional)
    names another version."""
    registration = await visible_registration(session, registration_id, viewer=actor, for_update=True)
    check_if_match(
        if_match, registration.version, required=False, weak=WEAK_ETAGS, resource="deal registration"
    )
    return registration


def view(registration: DealRegistration, *, viewer: Principal, now: datetime) -> DealRegistrationOut:
    """The registration as `viewer` sees it at `now`: a partner's own credential without its conflicts'
    parties."""
    return deal_registration_out(registration, now=now, disclose=viewer.partner_id is None)


async def list_registrations(
    session: AsyncSession,
    filters: DealFilters,
    *,
    viewer: Principal,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> bytes:
    """A page as JSON (`Page[DealRegistrationOut]`), newest first; a partner's own credential lists only its
    own partner's (403 when it asks for another)."""
    partner_id = viewer.partner_scope(filters.partner_id)
    filters = replace(filters, partner_id=partner_id)
    after = keyset_position(cursor, ORDER, datetime)
    disclose = viewer.partner_id is None
    rows = await repository.registration_page(
        session, filters, now=now, after=after, limit=limit + 1, disclose=disclose
    )
    return page_body(
        rows,
        limit,
        cursor_of=lambda row: keyset_cursor(ORDER, row.created_at, row.id),
        items_are_json=is_postgresql(session),
        out=lambda row: deal_registration_item(row, now=now, disclose=disclose),
        page=REGISTRATION_PAGE,
    )


async def registration_history(
    session: AsyncSession, registration_id: UUID, *, viewer: Principal, limit: int, cursor: str | None
) -> Page[DealHistoryEntryOut]:
    """Every step of the registration, newest first."""
    await visible_registration(session, registration_id, viewer=viewer)
    after = keyset_position(cursor, HISTORY_ORDER, datetime)
    entries = await repository.history_page(session, registration_id, after=after, limit=limit + 1)
    return page_of(
        entries,
        limit,
        out=history_entry_out,
        cursor_of=lambda e: keyset_cursor(HISTORY_ORDER, e.occurred_at, e.id),
    )

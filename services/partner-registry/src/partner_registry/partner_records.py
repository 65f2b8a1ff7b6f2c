"""What the records the vendor keeps about a partner share (certifications, compliance, agreements).

A partner's own credential reads its records but never writes them: they are the vendor's evidence about
the partner. Writes lock the partner row, so they serialise with its status transitions (whose guards read
these records). New records are not added to a terminated partner; existing ones can still be corrected,
closed or removed while the relationship winds down.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from prm_contracts.principal import Principal
from prm_contracts.problem import Forbidden
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.paging import keyset_cursor, keyset_position
from partner_registry.partners.models import Partner
from partner_registry.partners.service import ensure_not_terminated, visible_partner


async def partner_for_change(
    session: AsyncSession, partner_id: UUID, *, actor: Principal, adding: bool, records: str
) -> Partner:
    """The partner, locked, when `actor` may change its `records`: 403 for a partner's own credential (and
    another partner's), 404 for an unknown partner, 409 when `adding` to a terminated one."""
    if actor.partner_id is not None:
        actor.partner_scope(partner_id)
        raise Forbidden(f"a partner's own credential reads its {records} but cannot change them")
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    if adding:
        ensure_not_terminated(partner)
    return partner


def date_position(cursor: str | None, order: str) -> tuple[date, UUID] | None:
    """Where a page of a list ordered by (a date, id) ended; 422 for a cursor of another list."""
    after = keyset_position(cursor, order, timestamp_key=True)
    return None if after is None else (datetime.fromisoformat(after.key).date(), after.id)


def date_cursor(order: str, day: date, last_id: UUID) -> str:
    return keyset_cursor(order, day.isoformat(), last_id)

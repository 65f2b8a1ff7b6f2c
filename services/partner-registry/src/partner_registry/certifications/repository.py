"""Every query of the certifications domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_kit.db.core import core_rows
from prm_kit.db.listing import (
    AnySelect,
    cached_statement,
    keyset_page,
    page_parameters,
)
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.certifications.models import Certification
from partner_registry.contacts.models import Contact


async def certification_of(
    session: AsyncSession, partner_id: UUID, certification_id: UUID
) -> Certification | None:
    certification: Certification | None = await session.scalar(
        sa.select(Certification)
        .where(Certification.id == certification_id, Certification.partner_id == partner_id)
        .execution_options(populate_existing=True)
    )
    return certification


async def is_contact_of(session: AsyncSession, partner_id: UUID, contact_id: UUID) -> bool:
    found = await session.scalar(
        sa.select(Contact.id).where(Contact.id == contact_id, Contact.partner_id == partner_id)
    )
    return found is not None


async def certification_page(
    session: AsyncSession,
    partner_id: UUID,
    *,
    contact_id: UUID | None,
    after: KeysetPosition[date] | None,
    limit: int,
) -> list[Certification]:
    """A partner's certifications, the latest issued first."""
    statement = sa.select(Certification).where(Certification.partner_id == partner_id)
    if contact_id is not None:
        statement = statement.where(Certification.contact_id == contact_id)
    statement = (
        statement.where(keyset_after(Certification.issued_on, Certification.id, after, descending=True))
        .order_by(*keyset_order(Certification.issued_on, Certification.id, descending=True))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


def _expiring_statement(only_partner: bool, after: bool) -> AnySelect:
    c = Certification
    conditions = [
        c.expires_on >= sa.bindparam("from_day", type_=sa.Date()),
        c.expires_on <= sa.bindparam("to_day", type_=sa.Date()),
    ]
    if only_partner:
        conditions.append(c.partner_id == sa.bindparam("only_partner_id", type_=c.partner_id.type))
    return keyset_page(
        sa.select(c.__table__).where(*conditions), c.expires_on, c.id, after=after, descending=False
    )


async def expiring_page(
    session: AsyncSession,
    *,
    from_day: date,
    to_day: date,
    only_partner_id: UUID | None,
    after: KeysetPosition[date] | None,
    limit: int,
) -> Sequence[sa.Row[Any]]:
    """Certifications of every partner (or one) expiring between two days (both included), soonest first:
    rows of their columns."""
    statement = cached_statement(
        ("expiring_page", only_partner_id is not None, after is not None),
        lambda: _expiring_statement(only_partner_id is not None, after is not None),
    )
    parameters: dict[str, Any] = {"from_day": from_day, "to_day": to_day}
    if only_partner_id is not None:
        parameters["only_partner_id"] = only_partner_id
    return await core_rows(session, statement, parameters | page_parameters(after, limit))


async def add_certification(session: AsyncSession, certification: Certification) -> None:
    session.add(certification)
    await session.flush()


async def remove_certification(session: AsyncSession, certification: Certification) -> None:
    await session.delete(certification)
    await session.flush()

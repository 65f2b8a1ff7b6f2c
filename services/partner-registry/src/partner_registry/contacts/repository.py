"""Every query of the contacts domain."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.contacts.models import Contact, ContactRole


async def contact_of(session: AsyncSession, partner_id: UUID, contact_id: UUID) -> Contact | None:
    contact: Contact | None = await session.scalar(
        sa.select(Contact)
        .where(Contact.id == contact_id, Contact.partner_id == partner_id)
        .execution_options(populate_existing=True)
    )
    return contact


async def primary_contact_id(
    session: AsyncSession, partner_id: UUID, *, other_than: UUID | None = None
) -> UUID | None:
    statement = sa.select(Contact.id).where(
        Contact.partner_id == partner_id, Contact.role == ContactRole.PRIMARY.value
    )
    if other_than is not None:
        statement = statement.where(Contact.id != other_than)
    found: UUID | None = await session.scalar(statement)
    return found


async def contact_page(
    session: AsyncSession, partner_id: UUID, *, after: KeysetPosition[datetime] | None, limit: int
) -> list[Contact]:
    """A partner's contacts in the order they were added."""
    statement = (
        sa.select(Contact)
        .where(
            Contact.partner_id == partner_id,
            keyset_after(Contact.created_at, Contact.id, after, descending=False),
        )
        .order_by(*keyset_order(Contact.created_at, Contact.id, descending=False))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def add_contact(session: AsyncSession, contact: Contact) -> None:
    session.add(contact)
    await session.flush()


async def remove_contact(session: AsyncSession, contact: Contact) -> None:
    await session.delete(contact)
    await session.flush()

"""Every query of the contacts domain."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from prm_kit.db import UTCDateTime
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.contacts.models import Contact
from partner_registry.contacts.schemas import ContactRole
from partner_registry.paging import KeysetPosition


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
    session: AsyncSession, partner_id: UUID, *, after: KeysetPosition | None, limit: int
) -> list[Contact]:
    """A partner's contacts in the order they were added."""
    statement = sa.select(Contact).where(Contact.partner_id == partner_id)
    if after is not None:
        statement = statement.where(
            sa.tuple_(Contact.created_at, Contact.id)
            > sa.tuple_(
                sa.literal(datetime.fromisoformat(after.key), UTCDateTime()), sa.literal(after.id, sa.Uuid())
            )
        )
    statement = statement.order_by(Contact.created_at, Contact.id).limit(limit)
    return list((await session.scalars(statement)).all())


async def add_contact(session: AsyncSession, contact: Contact) -> None:
    session.add(contact)
    await session.flush()


async def remove_contact(session: AsyncSession, contact: Contact) -> None:
    await session.delete(contact)
    await session.flush()

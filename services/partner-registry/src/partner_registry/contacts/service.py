"""Contacts of a partner: at most one primary; every change kept in the partner's history.

A partner's own credential manages its own contacts. The partner row is locked while its contacts change,
so two requests cannot both add a primary contact.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict
from prm_kit.db import bump_version
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.contacts import repository
from partner_registry.contacts.models import Contact, ContactRole
from partner_registry.contacts.schemas import ContactIn, ContactOut, ContactPatch, contact_out
from partner_registry.partner_records import PartnerRecords, removed_values
from partner_registry.partners.changes import field_changes, initial_values
from partner_registry.partners.models import HistoryKind
from partner_registry.partners.service import ensure_not_terminated, record_change, visible_partner

CONTACTS = PartnerRecords(repository.contact_of, noun="contact")
ORDER = "created_at"


class SecondPrimaryContact(Conflict):
    slug, title = "second-primary-contact", "Partner already has a primary contact"


def _contact_values(contact: ContactOut) -> dict[str, object]:
    return contact.model_dump(mode="json", include={"name", "email", "phone", "role"})


async def _ensure_no_other_primary(
    session: AsyncSession, partner_id: UUID, *, other_than: UUID | None
) -> None:
    existing = await repository.primary_contact_id(session, partner_id, other_than=other_than)
    if existing is not None:
        raise SecondPrimaryContact(
            f"contact {existing} is already the primary contact of partner {partner_id}; "
            "give it another role first",
            primary_contact_id=str(existing),
        )


async def list_contacts(
    session: AsyncSession, partner_id: UUID, *, viewer: Principal, limit: int, cursor: str | None
) -> Page[ContactOut]:
    await visible_partner(session, partner_id, viewer=viewer)
    after = keyset_position(cursor, ORDER, datetime)
    contacts = await repository.contact_page(session, partner_id, after=after, limit=limit + 1)
    return page_of(
        contacts, limit, out=contact_out, cursor_of=lambda c: keyset_cursor(ORDER, c.created_at, c.id)
    )


async def visible_contact(
    session: AsyncSession, partner_id: UUID, contact_id: UUID, *, viewer: Principal
) -> Contact:
    return await CONTACTS.visible(session, partner_id, contact_id, viewer=viewer)


async def add_contact(
    session: AsyncSession, partner_id: UUID, body: ContactIn, *, actor: Principal, now: datetime
) -> Contact:
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    ensure_not_terminated(partner)
    if body.role == ContactRole.PRIMARY:
        await _ensure_no_other_primary(session, partner_id, other_than=None)
    contact = Contact(
        id=uuid4(),
        partner_id=partner_id,
        name=body.name,
        email=body.email,
        phone=body.phone,
        role=body.role.value,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.add_contact(session, contact)
    await record_change(
        session,
        partner,
        HistoryKind.CONTACT_ADDED,
        actor=actor,
        at=now,
        changes=initial_values(_contact_values(contact_out(contact))),
        contact_id=contact.id,
    )
    return contact


async def update_contact(
    session: AsyncSession,
    partner_id: UUID,
    contact_id: UUID,
    patch: ContactPatch,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Contact:
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    contact = await CONTACTS.to_change(session, partner_id, contact_id, if_match=if_match, required=True)
    ensure_not_terminated(partner)
    before = _contact_values(contact_out(contact))
    changes = field_changes(before, {**before, **patch.model_dump(mode="json", exclude_unset=True)})
    if not changes:
        return contact
    if patch.role == ContactRole.PRIMARY and contact.role != ContactRole.PRIMARY:
        await _ensure_no_other_primary(session, partner_id, other_than=contact.id)
    for change in changes:
        value = getattr(patch, change.field)
        setattr(contact, change.field, value.value if isinstance(value, ContactRole) else value)
    await bump_version(session, contact, at=now)
    await record_change(
        session,
        partner,
        HistoryKind.CONTACT_UPDATED,
        actor=actor,
        at=now,
        changes=changes,
        contact_id=contact.id,
    )
    return contact


async def remove_contact(
    session: AsyncSession,
    partner_id: UUID,
    contact_id: UUID,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> None:
    """Remove a contact. Allowed on a terminated partner too: people's data should not outstay its use."""
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    contact = await CONTACTS.to_change(session, partner_id, contact_id, if_match=if_match, required=False)
    before = _contact_values(contact_out(contact))
    await repository.remove_contact(session, contact)
    await record_change(
        session,
        partner,
        HistoryKind.CONTACT_REMOVED,
        actor=actor,
        at=now,
        changes=removed_values(before),
        contact_id=contact_id,
    )

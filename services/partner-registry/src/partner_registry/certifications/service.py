"""Certifications of a partner or of its people, and the ones about to expire across all partners."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from prm_contracts.certifications import (
    CertificationIn,
    CertificationOut,
    CertificationPatch,
    expiry_after_issue,
)
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import UnprocessableContent, ValidationIssue
from prm_kit.db import bump_version
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.certifications import repository
from partner_registry.certifications.models import Certification
from partner_registry.certifications.schemas import certification_out
from partner_registry.partner_records import PartnerRecords, partner_for_change
from partner_registry.partners.service import visible_partner

RECORDS = "certifications"
CERTIFICATIONS = PartnerRecords(repository.certification_of, noun="certification")
ORDER = "-issued_on"
EXPIRING_ORDER = "expires_on"
CERTIFICATION_PAGE = Page[CertificationOut]


async def _ensure_contact_of(session: AsyncSession, partner_id: UUID, contact_id: UUID | None) -> None:
    if contact_id is not None and not await repository.is_contact_of(session, partner_id, contact_id):
        raise UnprocessableContent(
            f"partner {partner_id} has no contact {contact_id}",
            errors=[
                ValidationIssue(
                    loc=["body", "contact_id"], msg="not a contact of this partner", type="contact_unknown"
                )
            ],
        )


async def list_certifications(
    session: AsyncSession,
    partner_id: UUID,
    *,
    viewer: Principal,
    contact_id: UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[CertificationOut]:
    """The partner's certifications, the latest issued first."""
    await visible_partner(session, partner_id, viewer=viewer)
    after = keyset_position(cursor, ORDER, date)
    found = await repository.certification_page(
        session, partner_id, contact_id=contact_id, after=after, limit=limit + 1
    )
    return page_of(
        found, limit, out=certification_out, cursor_of=lambda c: keyset_cursor(ORDER, c.issued_on, c.id)
    )


async def expiring_certifications(
    session: AsyncSession,
    *,
    viewer: Principal,
    within_days: int,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> Page[CertificationOut]:
    """Certifications expiring from the day of `now` to `within_days` days later (UTC, both included), the
    soonest first; a partner's own credential sees only its own."""
    after = keyset_position(cursor, EXPIRING_ORDER, date)
    today = now.date()
    found = await repository.expiring_page(
        session,
        from_day=today,
        to_day=today + timedelta(days=within_days),
        only_partner_id=viewer.partner_id,
        after=after,
        limit=limit + 1,
    )
    page = page_of(found, limit, out=lambda row: row, cursor_of=_expiring_cursor)
    # the rows' columns are CertificationOut's fields: validated once, from their attributes
    return CERTIFICATION_PAGE.model_validate(page, from_attributes=True)


def _expiring_cursor(row: Any) -> str:
    # the expiring list keeps only certifications with an expiry day
    return keyset_cursor(EXPIRING_ORDER, row.expires_on, row.id)


async def visible_certification(
    session: AsyncSession, partner_id: UUID, certification_id: UUID, *, viewer: Principal
) -> Certification:
    return await CERTIFICATIONS.visible(session, partner_id, certification_id, viewer=viewer)


async def add_certification(
    session: AsyncSession, partner_id: UUID, body: CertificationIn, *, actor: Principal, now: datetime
) -> Certification:
    await partner_for_change(session, partner_id, actor=actor, adding=True, records=RECORDS)
    await _ensure_contact_of(session, partner_id, body.contact_id)
    certification = Certification(
        id=uuid4(),
        partner_id=partner_id,
        contact_id=body.contact_id,
        programme=body.programme,
        level=body.level,
        issued_on=body.issued_on,
        expires_on=body.expires_on,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.add_certification(session, certification)
    return certification


async def update_certification(
    session: AsyncSession,
    partner_id: UUID,
    certification_id: UUID,
    patch: CertificationPatch,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Certification:
    """Change the fields sent of a certification read at the version `if_match` names. The dates are
    checked together with the stored ones: it must still expire after it was issued."""
    await partner_for_change(session, partner_id, actor=actor, adding=False, records=RECORDS)
    certification = await CERTIFICATIONS.to_change(
        session, partner_id, certification_id, if_match=if_match, required=True
    )
    sent = patch.model_dump(exclude_unset=True)
    changed = {name: value for name, value in sent.items() if getattr(certification, name) != value}
    if not changed:
        return certification
    issued_on = changed.get("issued_on", certification.issued_on)
    expires_on = changed.get("expires_on", certification.expires_on)
    try:
        expiry_after_issue(issued_on, expires_on)
    except PydanticCustomError as error:
        field = "expires_on" if "expires_on" in changed else "issued_on"
        raise UnprocessableContent(
            str(error), errors=[ValidationIssue(loc=["body", field], msg=str(error), type=error.type)]
        ) from error
    if "contact_id" in changed:
        await _ensure_contact_of(session, partner_id, changed["contact_id"])
    for name, value in changed.items():
        setattr(certification, name, value)
    await bump_version(session, certification, at=now)
    return certification


async def remove_certification(
    session: AsyncSession, partner_id: UUID, certification_id: UUID, *, if_match: str | None, actor: Principal
) -> None:
    await partner_for_change(session, partner_id, actor=actor, adding=False, records=RECORDS)
    certification = await CERTIFICATIONS.to_change(
        session, partner_id, certification_id, if_match=if_match, required=False
    )
    await repository.remove_certification(session, certification)

"""A partner's agreements: recorded as drafts or signed, activated, expired or terminated.

Whether a partner has a *current* agreement decides whether it may be active (`guards.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from prm_contracts.agreements import AgreementIn, AgreementOut, AgreementPatch, AgreementStatus, AgreementType
from prm_contracts.dates import utc_today
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, NotFound
from prm_kit.etag import check_if_match
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.agreements import repository
from partner_registry.agreements.lifecycle import AgreementTerms, check_change, check_terms
from partner_registry.agreements.models import Agreement
from partner_registry.agreements.schemas import agreement_out
from partner_registry.partner_records import date_cursor, date_position, partner_for_change
from partner_registry.partners.service import visible_partner

RECORDS = "agreements"
ORDER = "-starts_on"


class AgreementNotDraft(Conflict):
    slug, title = "agreement-not-draft", "Only draft agreements can be removed"


def _terms(agreement: Agreement) -> AgreementTerms:
    return AgreementTerms(
        agreement_type=AgreementType(agreement.agreement_type),
        status=AgreementStatus(agreement.status),
        signed_on=agreement.signed_on,
        starts_on=agreement.starts_on,
        ends_on=agreement.ends_on,
    )


async def list_agreements(
    session: AsyncSession,
    partner_id: UUID,
    *,
    viewer: Principal,
    statuses: list[AgreementStatus],
    limit: int,
    cursor: str | None,
) -> Page[AgreementOut]:
    """The partner's agreements, the latest start first."""
    await visible_partner(session, partner_id, viewer=viewer)
    after = date_position(cursor, ORDER)
    agreements = await repository.agreement_page(
        session, partner_id, statuses=statuses, after=after, limit=limit + 1
    )
    next_cursor = None
    if len(agreements) > limit:
        agreements = agreements[:limit]
        next_cursor = date_cursor(ORDER, agreements[-1].starts_on, agreements[-1].id)
    return Page[AgreementOut](items=[agreement_out(a) for a in agreements], next_cursor=next_cursor)


async def _agreement_of(session: AsyncSession, partner_id: UUID, agreement_id: UUID) -> Agreement:
    agreement = await repository.agreement_of(session, partner_id, agreement_id)
    if agreement is None:
        raise NotFound(f"partner {partner_id} has no agreement {agreement_id}")
    return agreement


async def visible_agreement(
    session: AsyncSession, partner_id: UUID, agreement_id: UUID, *, viewer: Principal
) -> Agreement:
    await visible_partner(session, partner_id, viewer=viewer)
    return await _agreement_of(session, partner_id, agreement_id)


async def add_agreement(
    session: AsyncSession, partner_id: UUID, body: AgreementIn, *, actor: Principal
) -> Agreement:
    """Record an agreement, as a draft or (signed) as active."""
    await partner_for_change(session, partner_id, actor=actor, adding=True, records=RECORDS)
    now = datetime.now(UTC)
    agreement = Agreement(
        id=uuid4(),
        partner_id=partner_id,
        agreement_type=body.agreement_type.value,
        status=body.status.value,
        signed_on=body.signed_on,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        version=1,
        created_at=now,
        updated_at=now,
    )
    check_terms(_terms(agreement), today=utc_today())
    await repository.add_agreement(session, agreement)
    return agreement


async def update_agreement(
    session: AsyncSession,
    partner_id: UUID,
    agreement_id: UUID,
    patch: AgreementPatch,
    *,
    if_match: str | None,
    actor: Principal,
) -> Agreement:
    """Change an agreement read at the version `if_match` names; its status moves only along its
    lifecycle. A patch that changes nothing changes nothing."""
    await partner_for_change(session, partner_id, actor=actor, adding=False, records=RECORDS)
    agreement = await _agreement_of(session, partner_id, agreement_id)
    check_if_match(if_match, agreement.version, required=True, resource="agreement")
    before = _terms(agreement)
    sent = patch.model_dump(exclude_unset=True)
    after = AgreementTerms(
        agreement_type=sent.get("agreement_type", before.agreement_type),
        status=sent.get("status", before.status),
        signed_on=sent.get("signed_on", before.signed_on),
        starts_on=sent.get("starts_on", before.starts_on),
        ends_on=sent.get("ends_on", before.ends_on),
    )
    if after == before:
        return agreement
    check_change(before, after, today=utc_today())
    agreement.agreement_type = after.agreement_type.value
    agreement.status = after.status.value
    agreement.signed_on = after.signed_on
    agreement.starts_on = after.starts_on
    agreement.ends_on = after.ends_on
    agreement.version += 1
    agreement.updated_at = datetime.now(UTC)
    await session.flush()
    return agreement


async def remove_agreement(
    session: AsyncSession, partner_id: UUID, agreement_id: UUID, *, if_match: str | None, actor: Principal
) -> None:
    """Remove a draft agreement (409 otherwise: a signed agreement is a record; expire or terminate it)."""
    await partner_for_change(session, partner_id, actor=actor, adding=False, records=RECORDS)
    agreement = await _agreement_of(session, partner_id, agreement_id)
    check_if_match(if_match, agreement.version, required=False, resource="agreement")
    if agreement.status != AgreementStatus.DRAFT:
        raise AgreementNotDraft(
            f"the agreement is {agreement.status}; only drafts are removed, a signed agreement stays on "
            "record (set its status to expired or terminated instead)",
            agreement_status=agreement.status,
        )
    await repository.remove_agreement(session, agreement)

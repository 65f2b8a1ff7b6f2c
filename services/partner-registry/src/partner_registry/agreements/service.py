"""A partner's agreements: recorded as drafts or signed, activated, expired or terminated.

Whether a partner has a *current* agreement decides whether it may be active (`guards.py`). An active
agreement whose `ends_on` has passed is no longer current at once; the expiry sweep (`expire_ended`, run in
the background by `sweeps.py` and on demand) records it as `expired`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from prm_contracts.agreements import AgreementIn, AgreementOut, AgreementPatch, AgreementStatus, AgreementType
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict
from prm_kit.db import bump_version
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.agreements import repository
from partner_registry.agreements.lifecycle import AgreementTerms, check_change, check_terms
from partner_registry.agreements.models import Agreement
from partner_registry.agreements.schemas import AgreementExpirySweepOut, agreement_out
from partner_registry.partner_records import PartnerRecords, partner_for_change
from partner_registry.partners.service import visible_partner

RECORDS = "agreements"
AGREEMENTS = PartnerRecords(repository.agreement_of, noun="agreement")
ORDER = "-starts_on"
EXPIRY_BATCH = 500


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
    after = keyset_position(cursor, ORDER, date)
    agreements = await repository.agreement_page(
        session, partner_id, statuses=statuses, after=after, limit=limit + 1
    )
    return page_of(
        agreements, limit, out=agreement_out, cursor_of=lambda a: keyset_cursor(ORDER, a.starts_on, a.id)
    )


async def visible_agreement(
    session: AsyncSession, partner_id: UUID, agreement_id: UUID, *, viewer: Principal
) -> Agreement:
    return await AGREEMENTS.visible(session, partner_id, agreement_id, viewer=viewer)


async def add_agreement(
    session: AsyncSession, partner_id: UUID, body: AgreementIn, *, actor: Principal, now: datetime
) -> Agreement:
    """Record an agreement, as a draft or (signed) as active."""
    await partner_for_change(session, partner_id, actor=actor, adding=True, records=RECORDS)
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
    check_terms(_terms(agreement), today=now.date())
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
    now: datetime,
) -> Agreement:
    """Change an agreement read at the version `if_match` names; its status moves only along its
    lifecycle. A patch that changes nothing changes nothing."""
    await partner_for_change(session, partner_id, actor=actor, adding=False, records=RECORDS)
    agreement = await AGREEMENTS.to_change(
        session, partner_id, agreement_id, if_match=if_match, required=True
    )
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
    check_change(before, after, today=now.date())
    agreement.agreement_type = after.agreement_type.value
    agreement.status = after.status.value
    agreement.signed_on = after.signed_on
    agreement.starts_on = after.starts_on
    agreement.ends_on = after.ends_on
    await bump_version(session, agreement, at=now)
    return agreement


async def remove_agreement(
    session: AsyncSession, partner_id: UUID, agreement_id: UUID, *, if_match: str | None, actor: Principal
) -> None:
    """Remove a draft agreement (409 otherwise: a signed agreement is a record; expire or terminate it)."""
    await partner_for_change(session, partner_id, actor=actor, adding=False, records=RECORDS)
    agreement = await AGREEMENTS.to_change(
        session, partner_id, agreement_id, if_match=if_match, required=False
    )
    if agreement.status != AgreementStatus.DRAFT:
        raise AgreementNotDraft(
            f"the agreement is {agreement.status}; only drafts are removed, a signed agreement stays on "
            "record (set its status to expired or terminated instead)",
            agreement_status=agreement.status,
        )
    await repository.remove_agreement(session, agreement)


async def expire_ended(session: AsyncSession, now: datetime, *, batch_size: int = EXPIRY_BATCH) -> list[UUID]:
    """Mark every active agreement whose `ends_on` is before the day of `now` (UTC) as expired; returns their
    ids. Agreements (or partners) another transaction holds are skipped: the next sweep gets them."""
    today = now.astimezone(UTC).date()
    expired: list[UUID] = []
    while True:
        ended = await repository.ended_active_agreements(session, before=today, limit=batch_size)
        for agreement in ended:
            before = _terms(agreement)
            after = replace(before, status=AgreementStatus.EXPIRED)
            check_change(before, after, today=today)
            agreement.status = after.status.value
            await bump_version(session, agreement, at=now)
        expired += [agreement.id for agreement in ended]
        if len(ended) < batch_size:
            return expired


async def sweep_expired(session: AsyncSession, now: datetime) -> AgreementExpirySweepOut:
    """Run the expiry sweep now (the background loop runs it too)."""
    expired = await expire_ended(session, now)
    return AgreementExpirySweepOut(swept_at=now, expired_count=len(expired), expired_ids=expired)

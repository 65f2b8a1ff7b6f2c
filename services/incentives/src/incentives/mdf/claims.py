"""Claims: what an approved activity actually cost, with proof, approved or rejected by a channel manager and
then paid. Deciding a claim emits `mdf_claim.decided` (with the activity's ROI) through the outbox.

Pending, approved and paid claims of a request together never exceed its planned amount: the request row is
locked while they are summed; a claim beyond is 409 `mdf-request-exceeded`. A rejected claim frees its part.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prm_contracts.mdf import (
    MDF_CLAIM_DECIDED,
    MdfClaimDecided,
    MdfClaimIn,
    MdfClaimOut,
    MdfClaimPaymentIn,
    MdfClaimStatus,
    MdfDecision,
    MdfDecisionIn,
    MdfRequestStatus,
    MdfRoi,
)
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_kit.db import bump_version, ordered_id
from prm_kit.etag import check_if_match
from prm_kit.outbox import add_event
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.mdf import repository
from incentives.mdf.answers import ZERO, checked_amount, claim_out, ensure_visible, money
from incentives.mdf.errors import AlreadyDecided, RequestExceeded, WrongState
from incentives.mdf.models import MdfClaim
from incentives.mdf.repository import ORDER
from incentives.mdf.requests import visible_request

EVENT_SOURCE = "incentives"


async def create_claim(
    session: AsyncSession, request_id: UUID, body: MdfClaimIn, *, actor: Principal, now: datetime
) -> MdfClaimOut:
    request = await visible_request(session, request_id, actor=actor, lock=True)
    if request.status != MdfRequestStatus.APPROVED.value:
        raise WrongState(
            f"request {request.id} is {request.status}; only an approved request can be claimed",
            current_status=request.status,
        )
    amount = checked_amount(body.amount, request.currency, "amount")
    claimed = (await repository.claimed(session, [request.id])).get(request.id, ZERO)
    unclaimed = request.planned_amount - claimed
    if amount > unclaimed:
        raise RequestExceeded(
            f"request {request.id} was approved for {request.planned_amount} {request.currency}, of which "
            f"{claimed} is claimed already; {amount} exceeds the {unclaimed} left",
            unclaimed=money(unclaimed, request.currency).model_dump(mode="json"),
        )
    claim = MdfClaim(
        id=ordered_id(),
        request_id=request.id,
        allocation_id=request.allocation_id,
        partner_id=request.partner_id,
        amount=amount,
        currency=request.currency,
        proof_reference=body.proof_reference,
        description=body.description,
        roi=None if body.roi is None else body.roi.model_dump(mode="json"),
        status=MdfClaimStatus.PENDING.value,
        submitted_by=actor.subject,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, claim)
    return claim_out(claim)


async def _visible_claim(
    session: AsyncSession, claim_id: UUID, *, actor: Principal, lock: bool = False
) -> MdfClaim:
    claim = await repository.claim(session, claim_id, lock=lock)
    ensure_visible(actor, claim, "claim", claim_id)
    assert claim is not None
    return claim


async def get_claim(session: AsyncSession, claim_id: UUID, *, actor: Principal) -> MdfClaimOut:
    return claim_out(await _visible_claim(session, claim_id, actor=actor))


async def list_claims(
    session: AsyncSession,
    *,
    actor: Principal,
    request_id: UUID | None,
    partner_id: UUID | None,
    status: MdfClaimStatus | None,
    limit: int,
    cursor: str | None,
) -> Page[MdfClaimOut]:
    where = []
    if request_id is not None:
        where.append(MdfClaim.request_id == request_id)
    if partner_id is not None:
        where.append(MdfClaim.partner_id == partner_id)
    if actor.partner_id is not None:
        where.append(MdfClaim.partner_id == actor.partner_id)
    if status is not None:
        where.append(MdfClaim.status == status.value)
    claims = await repository.page(
        session, MdfClaim, after=keyset_position(cursor, ORDER, datetime), limit=limit + 1, where=where
    )
    return page_of(claims, limit, out=claim_out, cursor_of=lambda c: keyset_cursor(ORDER, c.created_at, c.id))


async def decide_claim(
    session: AsyncSession,
    claim_id: UUID,
    body: MdfDecisionIn,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> MdfClaimOut:
    """Approve or reject a pending claim and emit `mdf_claim.decided`; a decided one is 409."""
    actor.require_vendor("decide MDF claims")
    claim = await _visible_claim(session, claim_id, actor=actor, lock=True)
    if claim.status != MdfClaimStatus.PENDING.value:
        raise AlreadyDecided(
            f"claim {claim.id} was {claim.status} by {claim.decided_by} at {claim.decided_at}",
            current_status=claim.status,
        )
    check_if_match(if_match, claim.version, required=False, resource="MDF claim")
    claim.status = body.decision.value
    claim.decided_by = actor.subject
    claim.decided_at = now
    claim.decision_reason = body.reason
    await bump_version(session, claim, at=now)
    # parents are never deleted (their foreign keys RESTRICT)
    request = await repository.request(session, claim.request_id)
    assert request is not None
    budget = await repository.budget(session, request.budget_id)
    assert budget is not None
    await add_event(
        session,
        type=MDF_CLAIM_DECIDED,
        source=EVENT_SOURCE,
        data=MdfClaimDecided(
            claim_id=claim.id,
            request_id=request.id,
            budget_id=budget.id,
            programme_id=budget.programme_id,
            partner_id=claim.partner_id,
            period=budget.period,
            decision=MdfDecision(claim.status),
            amount=money(claim.amount, claim.currency),
            activity=request.activity,
            roi=None if claim.roi is None else MdfRoi.model_validate(claim.roi),
            reason=claim.decision_reason,
            decided_by=actor.subject,
            decided_at=now,
        ),
    )
    return claim_out(claim)


async def pay_claim(
    session: AsyncSession,
    claim_id: UUID,
    body: MdfClaimPaymentIn,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> MdfClaimOut:
    """Mark an approved claim paid, with the payment's reference; anything else is 409."""
    actor.require_vendor("pay MDF claims")
    claim = await _visible_claim(session, claim_id, actor=actor, lock=True)
    if claim.status != MdfClaimStatus.APPROVED.value:
        raise WrongState(
            f"claim {claim.id} is {claim.status}; only an approved claim is paid", current_status=claim.status
        )
    check_if_match(if_match, claim.version, required=False, resource="MDF claim")
    claim.status = MdfClaimStatus.PAID.value
    claim.paid_by = actor.subject
    claim.paid_at = now
    claim.payment_reference = body.payment_reference
    await bump_version(session, claim, at=now)
    return claim_out(claim)

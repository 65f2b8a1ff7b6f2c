"""Fund requests: a partner (or the vendor for it) asks for part of an allocation for an activity; a channel
manager approves or rejects it.

A pending request already reserves its planned amount, as an approved one does: what finance promised and
what is being asked for together never exceed the allocation (allocated + accrued). A request above the
remaining funds is 409 `mdf-allocation-exceeded` (a conflict with the allocation's current state: the same
request may fit after another is rejected). The allocation row is locked while its requests are summed, so
two concurrent requests cannot both take the last funds.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prm_contracts.mdf import MdfDecisionIn, MdfRequestIn, MdfRequestOut, MdfRequestStatus
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_kit.db import bump_version, ordered_id
from prm_kit.etag import check_if_match
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.mdf import repository
from incentives.mdf.answers import ZERO, checked_amount, ensure_visible, money, request_answers
from incentives.mdf.errors import AllocationExceeded, AlreadyDecided
from incentives.mdf.models import MdfRequest
from incentives.mdf.repository import ORDER


async def create_request(
    session: AsyncSession, body: MdfRequestIn, *, actor: Principal, now: datetime
) -> MdfRequestOut:
    allocation = await repository.allocation(session, body.allocation_id, lock=True)
    ensure_visible(actor, allocation, "allocation", body.allocation_id)
    assert allocation is not None
    planned = checked_amount(body.planned_amount, allocation.currency, "planned_amount")
    reserved = (await repository.reserved(session, [allocation.id])).get(allocation.id, ZERO)
    remaining = allocation.amount + allocation.accrued - reserved
    if planned > remaining:
        raise AllocationExceeded(
            f"the allocation has {remaining} {allocation.currency} left "
            f"(available {allocation.amount + allocation.accrued}, reserved by pending and approved requests "
            f"{reserved}); {planned} does not fit",
            remaining=money(remaining, allocation.currency).model_dump(mode="json"),
        )
    request = MdfRequest(
        id=ordered_id(),
        allocation_id=allocation.id,
        budget_id=allocation.budget_id,
        partner_id=allocation.partner_id,
        activity=body.activity,
        description=body.description,
        planned_amount=planned,
        currency=allocation.currency,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        expected_outcome=body.expected_outcome,
        expected_roi=None if body.expected_roi is None else body.expected_roi.model_dump(mode="json"),
        status=MdfRequestStatus.PENDING.value,
        submitted_by=actor.subject,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, request)
    return (await request_answers(session, [request]))[request.id]


async def visible_request(
    session: AsyncSession, request_id: UUID, *, actor: Principal, lock: bool = False
) -> MdfRequest:
    request = await repository.request(session, request_id, lock=lock)
    ensure_visible(actor, request, "request", request_id)
    assert request is not None
    return request


async def get_request(session: AsyncSession, request_id: UUID, *, actor: Principal) -> MdfRequestOut:
    request = await visible_request(session, request_id, actor=actor)
    return (await request_answers(session, [request]))[request.id]


async def list_requests(
    session: AsyncSession,
    *,
    actor: Principal,
    allocation_id: UUID | None,
    partner_id: UUID | None,
    status: MdfRequestStatus | None,
    limit: int,
    cursor: str | None,
) -> Page[MdfRequestOut]:
    where = []
    if allocation_id is not None:
        where.append(MdfRequest.allocation_id == allocation_id)
    if partner_id is not None:
        where.append(MdfRequest.partner_id == partner_id)
    if actor.partner_id is not None:
        where.append(MdfRequest.partner_id == actor.partner_id)
    if status is not None:
        where.append(MdfRequest.status == status.value)
    requests = await repository.page(
        session, MdfRequest, after=keyset_position(cursor, ORDER, datetime), limit=limit + 1, where=where
    )
    answers = await request_answers(session, requests)
    return page_of(
        requests,
        limit,
        out=lambda r: answers[r.id],
        cursor_of=lambda r: keyset_cursor(ORDER, r.created_at, r.id),
    )


async def decide_request(
    session: AsyncSession,
    request_id: UUID,
    body: MdfDecisionIn,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> MdfRequestOut:
    """Approve (its reservation stays) or reject (its reservation is freed) a pending request; a decided one
    is 409 `mdf-already-decided`."""
    actor.require_vendor("decide MDF requests")
    request = await visible_request(session, request_id, actor=actor, lock=True)
    if request.status != MdfRequestStatus.PENDING.value:
        raise AlreadyDecided(
            f"request {request.id} was {request.status} by {request.decided_by} at {request.decided_at}",
            current_status=request.status,
        )
    check_if_match(if_match, request.version, required=False, resource="MDF request")
    request.status = body.decision.value
    request.decided_by = actor.subject
    request.decided_at = now
    request.decision_reason = body.reason
    await bump_version(session, request, at=now)
    return (await request_answers(session, [request]))[request.id]

"""Applying analytics' and the registry's events to the replica, any number of times and in any order.

Delivery is at least once (the kit's inbox drops an event id seen before) and in order per publisher, except
that an event a subscriber refused for good is parked and may be replayed after later ones. So:
- lines are inserted once by their id and by their partner's external id (a line sent again in another
  delivery is the same line);
- a payment change for a line not here yet is kept pending and applied when the line arrives (analytics
  only changes stored lines, so such a change is newer than the line's state as recorded);
- each flag's review is kept by flag, even before its line, and the line's `flag_status` summarises them;
- the partner profile moves only to a later event's record; status and tier histories are sets of entries
  from their own moments (a back-dated tier change is an entry with an older `valid_from`; a correction
  for the same day replaces the entry if decided later); a registration follows its newest event, and its
  approval day, once known, stays.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from prm_contracts.clients.registry import RegistryClient
from prm_contracts.deal_registrations import DealRegistrationChanged, DealRegistrationStatus
from prm_contracts.partners import PartnerOut, PartnerStatusChanged
from prm_contracts.problem import AppError, NotFound, UnprocessableContent
from prm_contracts.sales import RecordedSalesLine, SalesFlagReviewed, SalesPaymentUpdated, SalesRecorded
from prm_contracts.tiers import PartnerTierChanged
from prm_kit.db import end_reading
from prm_kit.http_clients import cannot_ask
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.replica import repository
from incentives.replica.regions import region_key

# Statuses a registration reaches only through approval: its approval day is known from any of them.
_APPROVED_ONCE = frozenset(
    {
        DealRegistrationStatus.APPROVED,
        DealRegistrationStatus.WON,
        DealRegistrationStatus.LOST,
        DealRegistrationStatus.EXPIRED,
    }
)
# Column widths of the replica that the event contracts do not bound themselves.
_MAX_EXTERNAL_ID, _MAX_FLAG_CODE = 200, 40


def _check_fits(line: RecordedSalesLine) -> None:
    """Refuse (422, so the relay parks the event) what the replica's columns cannot hold, rather than fail
    in the database."""
    problems = []
    if len(line.external_id) > _MAX_EXTERNAL_ID:
        problems.append(f"external_id longer than {_MAX_EXTERNAL_ID} characters")
    if line.original_external_id is not None and len(line.original_external_id) > _MAX_EXTERNAL_ID:
        problems.append(f"original_external_id longer than {_MAX_EXTERNAL_ID} characters")
    if len(line.currency) != 3:
        problems.append(f"currency {line.currency!r} is not a 3-letter code")
    problems += [
        f"flag code {flag.code!r} is too long" for flag in line.flags if len(flag.code) > _MAX_FLAG_CODE
    ]
    if problems:
        raise UnprocessableContent(f"sales line {line.id} ({line.external_id[:40]}): {'; '.join(problems)}")


def _line_row(line: RecordedSalesLine, recorded_at: datetime) -> dict[str, Any]:
    return {
        "id": line.id,
        "partner_id": line.partner_id,
        "external_id": line.external_id,
        "kind": line.kind.value,
        "occurred_on": line.occurred_on,
        "payment_status": line.payment_status.value,
        "paid_on": line.paid_on,
        "product_sku": line.product.sku,
        "product_category": line.product.category,
        "quantity": line.quantity,
        "amount": line.amount,
        "currency": line.currency,
        "deal_registration_id": line.deal_registration_id,
        "original_external_id": line.original_external_id,
        # flags arrive open (analytics raises them as it records the line); reviews come later
        "flag_status": "open" if line.flags else "none",
        "recorded_at": recorded_at,
    }


async def record_lines(session: AsyncSession, recorded: SalesRecorded, *, occurred_at: datetime) -> None:
    """`sales.recorded`: the delivery's lines, bulk-inserted once; then any payment change or flag review
    that came before them."""
    for line in recorded.lines:
        _check_fits(line)
    await repository.insert_lines(session, [_line_row(line, occurred_at) for line in recorded.lines])
    flagged = [line for line in recorded.lines if line.flags]
    await repository.insert_flags(
        session,
        [
            {"line_id": line.id, "code": flag.code, "flag_id": flag.flag_id, "status": "open"}
            for line in flagged
            for flag in line.flags
        ],
    )
    # a review heard before the line: the flag row kept its outcome, the line's summary must follow it
    await repository.refresh_flag_status(session, {line.id for line in flagged})
    pending = await repository.take_pending_payments(session, [line.id for line in recorded.lines])
    await repository.set_payment_states(
        session,
        [
            {"id": change.line_id, "payment_status": change.payment_status, "paid_on": change.paid_on}
            for change in pending
        ],
    )


async def update_payments(
    session: AsyncSession, updated: SalesPaymentUpdated, *, occurred_at: datetime
) -> None:
    """`sales.payment_updated`: the named lines' payment status and day (the same change again changes
    nothing); a line not replicated yet gets it when it arrives."""
    for change in updated.changes:
        if len(change.external_id) > _MAX_EXTERNAL_ID:
            raise UnprocessableContent(
                f"payment change of line {change.line_id}: external_id longer than {_MAX_EXTERNAL_ID} characters"
            )
    latest = {change.line_id: change for change in updated.changes}  # in delivery order: the last one counts
    here = await repository.replicated_line_ids(session, latest.keys())
    await repository.set_payment_states(
        session,
        [
            {"id": line_id, "payment_status": change.payment_status.value, "paid_on": change.paid_on}
            for line_id, change in latest.items()
            if line_id in here
        ],
    )
    await repository.keep_pending_payments(
        session,
        [
            {
                "line_id": line_id,
                "partner_id": updated.partner_id,
                "external_id": change.external_id,
                "payment_status": change.payment_status.value,
                "paid_on": change.paid_on,
                "changed_at": occurred_at,
            }
            for line_id, change in latest.items()
            if line_id not in here
        ],
    )


async def review_flag(session: AsyncSession, reviewed: SalesFlagReviewed) -> None:
    """`sales.flag_reviewed`: the flag's outcome, and the line's summary of all its flags."""
    await repository.record_flag_review(
        session,
        line_id=reviewed.line_id,
        code=reviewed.code.value,
        flag_id=reviewed.flag_id,
        status=reviewed.outcome,
    )
    await repository.refresh_flag_status(session, {reviewed.line_id})


async def apply_partner_record(session: AsyncSession, partner: PartnerOut, *, occurred_at: datetime) -> None:
    """A full partner record (`partner.created`, `.updated`, `.status_changed`): the profile if this event is
    newer than the one it holds, and the status the record shows from when it was taken."""
    await repository.upsert_profile(
        session,
        {
            "partner_id": partner.id,
            "partner_type": partner.partner_type.value,
            "country": partner.country,
            "region": partner.region,
            "region_key": region_key(partner.region),
            "as_of": occurred_at,
        },
    )
    await repository.add_status_period(
        session, partner_id=partner.id, valid_from=partner.status_changed_at, status=partner.status.value
    )


async def apply_status_change(
    session: AsyncSession, change: PartnerStatusChanged, *, occurred_at: datetime
) -> None:
    await apply_partner_record(session, change.partner, occurred_at=occurred_at)
    await repository.add_status_period(
        session, partner_id=change.partner_id, valid_from=change.changed_at, status=change.to_status.value
    )


async def apply_tier_change(session: AsyncSession, change: PartnerTierChanged) -> None:
    await repository.put_tier_period(
        session,
        partner_id=change.partner_id,
        valid_from=change.effective_on,
        tier=change.to_tier,
        changed_at=change.changed_at,
    )


async def apply_deal_registration(session: AsyncSession, change: DealRegistrationChanged) -> None:
    registration = change.registration
    approved_at = registration.decided_at or change.occurred_at
    await repository.upsert_deal_registration(
        session,
        {
            "id": change.deal_registration_id,
            "partner_id": change.partner_id,
            "status": change.to_status.value,
            "approved_on": approved_at.astimezone(UTC).date() if change.to_status in _APPROVED_ONCE else None,
            "protected_until": registration.protected_until,
            "as_of": change.occurred_at,
        },
    )


async def ensure_partner(session: AsyncSession, registry: RegistryClient, partner_id: UUID) -> None:
    """404 for a partner the registry does not know, before money is assigned to it. The replica answers for
    the partners its events brought; one created a moment ago may not have arrived yet, so for an id the
    replica lacks the registry decides (503 with Retry-After when it cannot be asked). Call it before anything
    is written: asking the registry ends the request's reading transaction first (read, call, then write)."""
    if await repository.partner_known(session, partner_id):
        return
    await end_reading(session)
    try:
        await registry.partner(partner_id)
    except NotFound as error:
        raise NotFound(f"no partner {partner_id}") from error
    except AppError as error:
        raise cannot_ask("registry", f"whether partner {partner_id} exists") from error

"""The events incentives consumes (mounted with `prm_kit.inbox.events_router`, which drops an event id seen
before): analytics' `sales.recorded`, `sales.payment_updated` and `sales.flag_reviewed` keep the replica of
sales lines; the registry's `partner.*`, `partner.tier_changed` and `deal_registration.*` keep the partner
histories eligibility is judged by (replica/service.py says how each is applied idempotently and in any
order). Events of other types are acknowledged and ignored, so a new event type upstream never blocks the
stream; a known event whose data breaks its contract is refused with 422 (the relay parks it).
"""

from __future__ import annotations

from typing import Any

from prm_contracts.deal_registrations import (
    DEAL_REGISTRATION_APPROVED,
    DEAL_REGISTRATION_EXPIRED,
    DEAL_REGISTRATION_EXTENDED,
    DEAL_REGISTRATION_LOST,
    DEAL_REGISTRATION_REJECTED,
    DEAL_REGISTRATION_WON,
    DealRegistrationChanged,
)
from prm_contracts.events import EventEnvelope
from prm_contracts.partners import (
    PARTNER_CREATED,
    PARTNER_STATUS_CHANGED,
    PARTNER_UPDATED,
    PartnerCreated,
    PartnerStatusChanged,
    PartnerUpdated,
)
from prm_contracts.sales import (
    SALES_FLAG_REVIEWED,
    SALES_PAYMENT_UPDATED,
    SALES_RECORDED,
    SalesFlagReviewed,
    SalesPaymentUpdated,
    SalesRecorded,
)
from prm_contracts.tiers import PARTNER_TIER_CHANGED, PartnerTierChanged
from prm_kit.inbox import EventHandler, event_data
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.replica import service as replica

DEAL_REGISTRATION_EVENTS = frozenset(
    {
        DEAL_REGISTRATION_APPROVED,
        DEAL_REGISTRATION_REJECTED,
        DEAL_REGISTRATION_EXTENDED,
        DEAL_REGISTRATION_EXPIRED,
        DEAL_REGISTRATION_WON,
        DEAL_REGISTRATION_LOST,
    }
)


async def apply_event(session: AsyncSession, event: EventEnvelope[dict[str, Any]]) -> None:
    """Apply one event (first delivery only) inside the batch's transaction."""
    at = event.occurred_at
    if event.type == SALES_RECORDED:
        await replica.record_lines(session, event_data(event, SalesRecorded), occurred_at=at)
    elif event.type == SALES_PAYMENT_UPDATED:
        await replica.update_payments(session, event_data(event, SalesPaymentUpdated), occurred_at=at)
    elif event.type == SALES_FLAG_REVIEWED:
        await replica.review_flag(session, event_data(event, SalesFlagReviewed))
    elif event.type == PARTNER_CREATED:
        await replica.apply_partner_record(session, event_data(event, PartnerCreated).partner, occurred_at=at)
    elif event.type == PARTNER_UPDATED:
        await replica.apply_partner_record(session, event_data(event, PartnerUpdated).partner, occurred_at=at)
    elif event.type == PARTNER_STATUS_CHANGED:
        await replica.apply_status_change(session, event_data(event, PartnerStatusChanged), occurred_at=at)
    elif event.type == PARTNER_TIER_CHANGED:
        await replica.apply_tier_change(session, event_data(event, PartnerTierChanged))
    elif event.type in DEAL_REGISTRATION_EVENTS:
        await replica.apply_deal_registration(session, event_data(event, DealRegistrationChanged))


def replica_event_handler() -> EventHandler:
    """The handler of `POST /internal/events`."""
    return apply_event

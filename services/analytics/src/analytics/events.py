"""The events analytics consumes (mounted with `prm_kit.inbox.events_router`): the registry's partner, tier
and deal-registration events keep the partner replica (partners/service.py); a changed webhook secret makes
the service forget the secrets it cached for that partner. Events of other types are acknowledged and
ignored, so a new event type upstream never blocks the stream. A known event whose data breaks its contract
is refused with 422 (the relay parks it rather than retrying it forever).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
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
from prm_contracts.tiers import PARTNER_TIER_CHANGED, PartnerTierChanged
from prm_contracts.webhook_secrets import PARTNER_WEBHOOK_SECRETS_CHANGED, PartnerWebhookSecretsChanged
from prm_kit.clock import utc_now
from prm_kit.inbox import EventHandler, event_data
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.partners import service as replica

PartnerRecordEvent = PartnerCreated | PartnerUpdated | PartnerStatusChanged
PARTNER_RECORD_EVENTS: dict[str, type[PartnerRecordEvent]] = {
    PARTNER_CREATED: PartnerCreated,
    PARTNER_UPDATED: PartnerUpdated,
    PARTNER_STATUS_CHANGED: PartnerStatusChanged,
}
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


def registry_event_handler(app: FastAPI) -> EventHandler:
    """The handler of `POST /internal/events`, given the app whose state (the webhook-secret cache) it
    reaches."""

    async def handle(session: AsyncSession, event: EventEnvelope[dict[str, Any]]) -> None:
        now = utc_now()
        if (record_model := PARTNER_RECORD_EVENTS.get(event.type)) is not None:
            record: PartnerRecordEvent = event_data(event, record_model)
            await replica.apply_partner_record(
                session, record.partner, occurred_at=event.occurred_at, now=now
            )
        elif event.type == PARTNER_TIER_CHANGED:
            change = event_data(event, PartnerTierChanged)
            await replica.apply_tier_change(session, change, occurred_at=event.occurred_at, now=now)
        elif event.type in DEAL_REGISTRATION_EVENTS:
            deal = event_data(event, DealRegistrationChanged)
            await replica.apply_deal_registration(session, deal, occurred_at=event.occurred_at)
        elif event.type == PARTNER_WEBHOOK_SECRETS_CHANGED:
            changed = event_data(event, PartnerWebhookSecretsChanged)
            # Forgetting is always safe (the next delivery fetches the secrets again), even if this batch
            # is then rolled back; the registry committed the change before it sent the event.
            cache = getattr(app.state, "webhook_secrets", None)
            if cache is not None:
                cache.forget(changed.partner_id)

    return handle

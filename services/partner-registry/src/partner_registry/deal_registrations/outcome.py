"""Closing an approved registration: won at its final amount, or lost with the reason."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prm_contracts.deal_registrations import (
    DEAL_REGISTRATION_LOST,
    DEAL_REGISTRATION_WON,
    DealRegistrationLost,
    DealRegistrationStatus,
    DealRegistrationWon,
    LostOutcome,
    WonOutcome,
)
from prm_contracts.principal import Principal
from prm_kit.db import bump_version
from prm_kit.outbox import add_event
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.deal_registrations import repository
from partner_registry.deal_registrations.history import event_fields, record_step
from partner_registry.deal_registrations.lifecycle import check_transition, effective_status
from partner_registry.deal_registrations.models import DealHistoryKind, DealRegistration
from partner_registry.deal_registrations.reading import registration_to_change
from partner_registry.partners.service import EVENT_SOURCE

S = DealRegistrationStatus


async def record_outcome(
    session: AsyncSession,
    registration_id: UUID,
    body: WonOutcome | LostOutcome,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> DealRegistration:
    """Close an approved registration as won (at its final amount) or lost (with the reason); its customer
    is then free for other partners."""
    registration = await registration_to_change(session, registration_id, actor=actor, if_match=if_match)
    current = effective_status(S(registration.status), registration.protected_until, now)
    target = S.WON if isinstance(body, WonOutcome) else S.LOST
    check_transition(current, target)
    registration.status = target.value
    registration.closed_at = now
    if isinstance(body, WonOutcome):
        registration.final_amount = body.final_amount.amount
        registration.final_currency = body.final_amount.currency
        reason = None
    else:
        registration.lost_reason = reason = body.reason
    await bump_version(session, registration, at=now)
    await repository.remove_name_tokens(session, [registration.id])
    kind = DealHistoryKind.WON if target == S.WON else DealHistoryKind.LOST
    await record_step(
        session, registration, kind, actor=actor.subject, at=now, from_status=current, reason=reason
    )
    fields = event_fields(registration, current, actor.subject, now)
    if isinstance(body, WonOutcome):
        won = DealRegistrationWon(**fields, final_amount=body.final_amount)
        await add_event(session, type=DEAL_REGISTRATION_WON, source=EVENT_SOURCE, data=won)
    else:
        lost = DealRegistrationLost(**fields, reason=body.reason)
        await add_event(session, type=DEAL_REGISTRATION_LOST, source=EVENT_SOURCE, data=lost)
    return registration

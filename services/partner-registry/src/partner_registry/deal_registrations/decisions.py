"""A channel manager's decision on a registration in review: approval, which starts its protection, or
rejection, which frees its customer for other partners."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prm_contracts.deal_registrations import (
    DEAL_REGISTRATION_APPROVED,
    DEAL_REGISTRATION_REJECTED,
    DealDecision,
    DealRegistrationApproved,
    DealRegistrationRejected,
    DealRegistrationStatus,
    DecisionIn,
)
from prm_contracts.principal import Principal
from prm_contracts.problem import Forbidden
from prm_kit.db import bump_version
from prm_kit.outbox import add_event
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.deal_registrations import repository
from partner_registry.deal_registrations.history import event_fields, record_step
from partner_registry.deal_registrations.lifecycle import check_transition, effective_status
from partner_registry.deal_registrations.models import DealHistoryKind, DealRegistration
from partner_registry.deal_registrations.policy import DealPolicy
from partner_registry.deal_registrations.reading import registration_to_change
from partner_registry.partners.service import EVENT_SOURCE

S = DealRegistrationStatus


async def decide(
    session: AsyncSession,
    registration_id: UUID,
    body: DecisionIn,
    *,
    if_match: str | None,
    actor: Principal,
    policy: DealPolicy,
    now: datetime,
) -> DealRegistration:
    """A channel manager approves (protection starts now) or rejects a registration in review."""
    if actor.partner_id is not None:
        raise Forbidden("registrations are approved or rejected by the vendor's channel team")
    registration = await registration_to_change(session, registration_id, actor=actor, if_match=if_match)
    current = effective_status(S(registration.status), registration.protected_until, now)
    target = S.APPROVED if body.decision == DealDecision.APPROVED else S.REJECTED
    check_transition(current, target)
    registration.status = target.value
    registration.decided_by = actor.subject
    registration.decided_at = now
    registration.decision_reason = body.reason
    if target == S.APPROVED:
        registration.protected_until = now + policy.protection
    else:
        await repository.remove_name_tokens(session, [registration.id])
    await bump_version(session, registration, at=now)
    kind = DealHistoryKind.APPROVED if target == S.APPROVED else DealHistoryKind.REJECTED
    await record_step(
        session, registration, kind, actor=actor.subject, at=now, from_status=current, reason=body.reason
    )
    fields = event_fields(registration, current, actor.subject, now)
    if target == S.APPROVED:
        assert registration.protected_until is not None
        approved = DealRegistrationApproved(
            **fields, automatic=False, protected_until=registration.protected_until
        )
        await add_event(session, type=DEAL_REGISTRATION_APPROVED, source=EVENT_SOURCE, data=approved)
    else:
        rejected = DealRegistrationRejected(**fields, reason=body.reason)
        await add_event(session, type=DEAL_REGISTRATION_REJECTED, source=EVENT_SOURCE, data=rejected)
    return registration

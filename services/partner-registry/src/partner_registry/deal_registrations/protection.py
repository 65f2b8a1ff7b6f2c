"""The protection window of an approved registration: its one extension, and its expiry when it runs out
(recorded by the expiry sweep; reads say `expired` from that moment on, see lifecycle.effective_status)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prm_contracts.deal_registrations import (
    DEAL_REGISTRATION_EXPIRED,
    DEAL_REGISTRATION_EXTENDED,
    DealRegistrationExpired,
    DealRegistrationExtended,
    DealRegistrationStatus,
    ExpirySweepOut,
    ExtensionIn,
)
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict
from prm_kit.db import bump_version
from prm_kit.outbox import add_event
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.deal_registrations import repository
from partner_registry.deal_registrations.history import event_fields, record_step
from partner_registry.deal_registrations.lifecycle import effective_status
from partner_registry.deal_registrations.models import DealHistoryKind, DealRegistration
from partner_registry.deal_registrations.policy import DealPolicy
from partner_registry.deal_registrations.reading import registration_to_change
from partner_registry.partners.service import EVENT_SOURCE

S = DealRegistrationStatus
EXPIRY_SWEEPER = "system:expiry-sweep"
EXPIRY_BATCH = 500


class ExtensionNotAllowed(Conflict):
    slug, title = "extension-not-allowed", "Only an approved, protected registration can be extended"


class ExtensionAlreadyUsed(Conflict):
    slug, title = "extension-already-used", "The registration was already extended once"


async def extend(
    session: AsyncSession,
    registration_id: UUID,
    body: ExtensionIn,
    *,
    if_match: str | None,
    actor: Principal,
    policy: DealPolicy,
    now: datetime,
) -> DealRegistration:
    """Lengthen an approved, still protected registration's protection once, by the policy's extension."""
    registration = await registration_to_change(session, registration_id, actor=actor, if_match=if_match)
    current = effective_status(S(registration.status), registration.protected_until, now)
    if current != S.APPROVED:
        raise ExtensionNotAllowed(
            f"the registration is {current}; only an approved registration whose protection has not run out "
            "can be extended",
            current_status=current.value,
        )
    if registration.extension_used:
        raise ExtensionAlreadyUsed(
            f"the registration was extended once already; it stays protected until "
            f"{registration.protected_until.isoformat() if registration.protected_until else 'its end'}"
        )
    previous = registration.protected_until
    assert previous is not None
    registration.protected_until = previous + policy.extension
    registration.extension_used = True
    await bump_version(session, registration, at=now)
    await record_step(
        session,
        registration,
        DealHistoryKind.EXTENDED,
        actor=actor.subject,
        at=now,
        from_status=current,
        reason=body.reason,
    )
    extended = DealRegistrationExtended(
        **event_fields(registration, current, actor.subject, now),
        previous_protected_until=previous,
        protected_until=registration.protected_until,
    )
    await add_event(session, type=DEAL_REGISTRATION_EXTENDED, source=EVENT_SOURCE, data=extended)
    return registration


async def expire_due(session: AsyncSession, now: datetime, *, batch_size: int = EXPIRY_BATCH) -> list[UUID]:
    """Mark every approved registration whose protection ran out by `now` as expired; returns their ids.

    Safe to run from several replicas at once: rows another sweep has locked are skipped, not waited for.
    """
    expired: list[UUID] = []
    while True:
        due = await repository.due_for_expiry(session, now=now, limit=batch_size)
        for registration in due:
            registration.status = S.EXPIRED.value
            registration.expired_at = registration.protected_until
            await bump_version(session, registration, at=now)
        await repository.remove_name_tokens(session, [r.id for r in due])
        for registration in due:
            await record_step(
                session,
                registration,
                DealHistoryKind.EXPIRED,
                actor=EXPIRY_SWEEPER,
                at=now,
                from_status=S.APPROVED,
                reason="protection ran out",
            )
            assert registration.protected_until is not None
            data = DealRegistrationExpired(
                **event_fields(registration, S.APPROVED, EXPIRY_SWEEPER, now),
                protected_until=registration.protected_until,
            )
            await add_event(session, type=DEAL_REGISTRATION_EXPIRED, source=EVENT_SOURCE, data=data)
        expired += [r.id for r in due]
        if len(due) < batch_size:
            return expired


async def sweep_expired(session: AsyncSession, *, now: datetime) -> ExpirySweepOut:
    """Run the expiry sweep now (the background loop runs it too)."""
    expired = await expire_due(session, now)
    return ExpirySweepOut(swept_at=now, expired_count=len(expired), expired_ids=expired)

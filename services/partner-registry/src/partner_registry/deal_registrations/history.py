"""What every step of a registration leaves behind: its history entry, and the fields its event shares with
every `deal_registration.*` event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prm_contracts.deal_registrations import DealRegistrationStatus
from prm_kit.db import ordered_id
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.deal_registrations import repository
from partner_registry.deal_registrations.models import (
    DealHistoryKind,
    DealRegistration,
    DealRegistrationHistoryEntry,
)
from partner_registry.deal_registrations.schemas import deal_registration_out


async def record_step(
    session: AsyncSession,
    registration: DealRegistration,
    kind: DealHistoryKind,
    *,
    actor: str,
    at: datetime,
    from_status: DealRegistrationStatus | None = None,
    reason: str | None = None,
) -> None:
    """The history entry of a step, with the status and protection the registration has after it."""
    await repository.add_history_entry(
        session,
        DealRegistrationHistoryEntry(
            id=ordered_id(),
            deal_registration_id=registration.id,
            kind=kind.value,
            occurred_at=at,
            actor=actor,
            from_status=from_status.value if from_status else None,
            to_status=registration.status,
            reason=reason,
            protected_until=registration.protected_until,
        ),
    )


def event_fields(
    registration: DealRegistration, from_status: DealRegistrationStatus | None, actor: str, at: datetime
) -> dict[str, Any]:
    """The fields every `deal_registration.*` event's data has (DealRegistrationChanged)."""
    return {
        "deal_registration_id": registration.id,
        "partner_id": registration.partner_id,
        "from_status": from_status,
        "to_status": DealRegistrationStatus(registration.status),
        "actor": actor,
        "occurred_at": at,
        "registration": deal_registration_out(registration, now=at),
    }

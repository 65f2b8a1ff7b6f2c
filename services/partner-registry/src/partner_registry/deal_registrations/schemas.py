"""Bodies of the deal-registration endpoints that stay inside the registry, and ORM → contract conversions.

DealRegistrationIn / DealRegistrationOut and the events cross service boundaries and live in
`prm_contracts.deal_registrations`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from prm_contracts.deal_registrations import (
    ConflictExplanation,
    ConflictKind,
    ConflictOut,
    DealRegistrationOut,
    DealRegistrationStatus,
)
from prm_contracts.money import Money
from prm_contracts.partners import CustomerSegment
from pydantic import AwareDatetime, BaseModel, Field

from partner_registry.deal_registrations.lifecycle import effective_status
from partner_registry.deal_registrations.matching import GENERIC_REASONS
from partner_registry.deal_registrations.models import DealHistoryKind
from partner_registry.partners.schemas import canonical_amount

if TYPE_CHECKING:
    from partner_registry.deal_registrations.models import (
        DealRegistration,
        DealRegistrationConflict,
        DealRegistrationHistoryEntry,
    )


@dataclass(frozen=True)
class DealFilters:
    """List filters; empty ones do not filter."""

    partner_id: UUID | None = None
    statuses: list[DealRegistrationStatus] = field(default_factory=list)
    customer_domain: str | None = None
    has_conflicts: bool | None = None
    expiring_within_days: int | None = None


class DealHistoryEntryOut(BaseModel):
    """One step of a registration: who, when, from which status to which, and why."""

    id: UUID
    deal_registration_id: UUID
    kind: DealHistoryKind
    occurred_at: AwareDatetime
    actor: str = Field(description="The subject of the principal, or `system:…` for the registry itself.")
    from_status: DealRegistrationStatus | None
    to_status: DealRegistrationStatus
    reason: str | None
    protected_until: AwareDatetime | None = Field(description="The protection after this step, if any.")


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    if amount is None or currency is None:
        return None
    return Money(amount=canonical_amount(amount), currency=currency)


def conflict_out(conflict: DealRegistrationConflict, *, disclose: bool) -> ConflictOut:
    """A conflict as a viewer may see it: in full for the channel team; kind, score and a generic reason for
    a partner's own credential, which must not learn who else claims the customer (nor, from the
    explanation, the other customer's name or domain)."""
    kind = ConflictKind(conflict.kind)
    if not disclose:
        return ConflictOut(kind=kind, reason=GENERIC_REASONS[kind], score=conflict.score)
    return ConflictOut(
        kind=kind,
        reason=conflict.reason,
        score=conflict.score,
        other_registration_id=conflict.other_deal_registration_id,
        other_partner_id=conflict.other_partner_id,
        house_account_id=conflict.house_account_id,
        territory_id=conflict.territory_id,
        explanation=ConflictExplanation.model_validate(conflict.explanation)
        if conflict.explanation
        else None,
    )


def deal_registration_out(
    registration: DealRegistration, *, now: datetime, disclose: bool = True
) -> DealRegistrationOut:
    """The registration as of `now` (a lapsed approval reads as expired), shown in full or, for a partner's
    own credential (`disclose=False`), without what other parties its conflicts name."""
    status = effective_status(DealRegistrationStatus(registration.status), registration.protected_until, now)
    expired_at = registration.expired_at
    if status == DealRegistrationStatus.EXPIRED and expired_at is None:
        expired_at = registration.protected_until
    return DealRegistrationOut(
        id=registration.id,
        partner_id=registration.partner_id,
        customer_name=registration.customer_name,
        customer_domain=registration.customer_domain,
        country=registration.country,
        region=registration.region,
        customer_segment=CustomerSegment(registration.customer_segment)
        if registration.customer_segment
        else None,
        products=list(registration.products),
        estimated_value=Money(
            amount=canonical_amount(registration.estimated_value_amount),
            currency=registration.estimated_value_currency,
        ),
        expected_close_on=registration.expected_close_on,
        notes=registration.notes,
        status=status,
        has_conflicts=registration.has_conflicts,
        conflicts=[conflict_out(c, disclose=disclose) for c in registration.conflicts],
        submitted_by=registration.submitted_by,
        decided_by=registration.decided_by,
        decided_at=registration.decided_at,
        decision_reason=registration.decision_reason,
        protected_until=registration.protected_until,
        extension_used=registration.extension_used,
        final_amount=_money(registration.final_amount, registration.final_currency),
        lost_reason=registration.lost_reason,
        closed_at=registration.closed_at,
        expired_at=expired_at,
        version=registration.version,
        created_at=registration.created_at,
        updated_at=registration.updated_at,
    )


def history_entry_out(entry: DealRegistrationHistoryEntry) -> DealHistoryEntryOut:
    return DealHistoryEntryOut(
        id=entry.id,
        deal_registration_id=entry.deal_registration_id,
        kind=DealHistoryKind(entry.kind),
        occurred_at=entry.occurred_at,
        actor=entry.actor,
        from_status=DealRegistrationStatus(entry.from_status) if entry.from_status else None,
        to_status=DealRegistrationStatus(entry.to_status),
        reason=entry.reason,
        protected_until=entry.protected_until,
    )

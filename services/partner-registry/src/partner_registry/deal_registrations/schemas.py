"""Bodies of the deal-registration endpoints that stay inside the registry, and ORM → contract conversions.

DealRegistrationIn / DealRegistrationOut and the events cross service boundaries and live in
`prm_contracts.deal_registrations`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prm_contracts.deal_registrations import (
    ConflictOut,
    DealRegistrationOut,
    DealRegistrationStatus,
)
from pydantic import AwareDatetime, BaseModel, Field

from partner_registry.deal_registrations.lifecycle import effective_status
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


def _money(amount: Decimal | None, currency: str | None) -> dict[str, Any] | None:
    if amount is None or currency is None:
        return None
    return {"amount": canonical_amount(amount), "currency": currency}


def _conflict_fields(
    kind: str, reason: str, score: int, other: tuple[Any, Any, Any, Any], explanation: dict[str, Any] | None
) -> dict[str, Any]:
    """ConflictOut's fields, for the channel team. `other`: the other registration, its partner, the house
    account and the territory (ids or None)."""
    other_registration_id, other_partner_id, house_account_id, territory_id = other
    return {
        "kind": kind,
        "reason": reason,
        "score": score,
        "other_registration_id": other_registration_id,
        "other_partner_id": other_partner_id,
        "house_account_id": house_account_id,
        "territory_id": territory_id,
        "explanation": explanation or None,
    }


def conflict_out(conflict: DealRegistrationConflict) -> ConflictOut:
    other = (
        conflict.other_deal_registration_id,
        conflict.other_partner_id,
        conflict.house_account_id,
        conflict.territory_id,
    )
    return ConflictOut.model_validate(
        _conflict_fields(conflict.kind, conflict.reason, conflict.score, other, conflict.explanation)
    )


def _registration_fields(registration: Any, conflicts: list[Any], *, now: datetime) -> dict[str, Any]:
    """DealRegistrationOut's fields of an entity or a row with its columns, as of `now` (a lapsed approval
    reads as expired); `conflicts` are ConflictOut or its fields."""
    status = effective_status(DealRegistrationStatus(registration.status), registration.protected_until, now)
    expired_at = registration.expired_at
    if status == DealRegistrationStatus.EXPIRED and expired_at is None:
        expired_at = registration.protected_until
    return {
        "id": registration.id,
        "partner_id": registration.partner_id,
        "customer_name": registration.customer_name,
        "customer_domain": registration.customer_domain,
        "country": registration.country,
        "region": registration.region,
        "customer_segment": registration.customer_segment,
        "products": list(registration.products),
        "estimated_value": _money(registration.estimated_value_amount, registration.estimated_value_currency),
        "expected_close_on": registration.expected_close_on,
        "notes": registration.notes,
        "status": status,
        "has_conflicts": registration.has_conflicts,
        "conflicts": conflicts,
        "submitted_by": registration.submitted_by,
        "decided_by": registration.decided_by,
        "decided_at": registration.decided_at,
        "decision_reason": registration.decision_reason,
        "protected_until": registration.protected_until,
        "extension_used": registration.extension_used,
        "final_amount": _money(registration.final_amount, registration.final_currency),
        "lost_reason": registration.lost_reason,
        "closed_at": registration.closed_at,
        "expired_at": expired_at,
        "version": registration.version,
        "created_at": registration.created_at,
        "updated_at": registration.updated_at,
    }


def deal_registration_out(
    registration: DealRegistration, *, now: datetime, disclose: bool = True
) -> DealRegistrationOut:
    """The registration as of `now` (a lapsed approval reads as expired), shown in full or, for a partner's
    own credential (`disclose=False`), without its conflicts (`has_conflicts` only): each one's kind would
    tell the partner what it may not read — which customers the vendor serves itself (`house_account`),
    where other partners hold exclusive territories, which products a rival quoted — one submission per
    guess."""
    conflicts = [conflict_out(c) for c in registration.conflicts] if disclose else []
    return DealRegistrationOut.model_validate(_registration_fields(registration, conflicts, now=now))


def deal_registration_item(row: Any, *, now: datetime, disclose: bool) -> dict[str, Any]:
    """DealRegistrationOut's fields of a list row (`repository.registration_page`), validated with the
    page."""
    conflicts = [
        _conflict_fields(kind, reason, score, (other, partner, account, territory), explanation)
        for _, kind, reason, score, other, partner, account, territory, explanation in sorted(
            row.conflicts or (), key=lambda conflict: conflict[0]
        )
        if disclose  # see deal_registration_out
    ]
    return _registration_fields(row, conflicts, now=now)


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

"""The deal-registration state machine: pure rules, no I/O.

    pending_review → approved | rejected
    approved → won | lost | expired
    rejected, won, lost, expired: final

An approved registration whose protection has run out is expired as of that moment, whether or not the
expiry sweep has recorded it yet: `effective_status` is what every read and every rule goes by.
"""

from __future__ import annotations

from datetime import datetime

from prm_contracts.deal_registrations import DealRegistrationStatus

from partner_registry.partners.lifecycle import InvalidTransition

S = DealRegistrationStatus

TRANSITIONS: dict[DealRegistrationStatus, tuple[DealRegistrationStatus, ...]] = {
    S.PENDING_REVIEW: (S.APPROVED, S.REJECTED),
    S.APPROVED: (S.WON, S.LOST, S.EXPIRED),
    S.REJECTED: (),
    S.WON: (),
    S.LOST: (),
    S.EXPIRED: (),
}
# Registrations that still claim their customer: other partners' submissions conflict with these.
OPEN = frozenset({S.PENDING_REVIEW, S.APPROVED})


def effective_status(
    status: DealRegistrationStatus, protected_until: datetime | None, now: datetime
) -> DealRegistrationStatus:
    if status == S.APPROVED and protected_until is not None and protected_until <= now:
        return S.EXPIRED
    return status


def allowed_transitions(current: DealRegistrationStatus) -> tuple[DealRegistrationStatus, ...]:
    return TRANSITIONS[current]


def check_transition(current: DealRegistrationStatus, target: DealRegistrationStatus) -> None:
    """Raise 409 `invalid-status-transition`, naming the allowed targets, for a move with no arrow."""
    allowed = allowed_transitions(current)
    if target not in allowed:
        names = ", ".join(allowed) if allowed else f"none: {current} is final"
        raise InvalidTransition(
            f"a deal registration cannot move from {current} to {target}; allowed from {current}: {names}",
            current_status=current.value,
            allowed=[status.value for status in allowed],
        )

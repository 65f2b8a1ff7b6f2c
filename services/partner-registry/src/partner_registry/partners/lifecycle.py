"""The partner lifecycle as an explicit state machine: pure rules, no I/O.

    prospect → applied → onboarding → active ⇄ suspended
    every state but terminated → terminated (final)

Terminating from any live state is allowed on purpose: a prospect that goes nowhere, an applicant that
fails due diligence or a partner that breaches its agreement must be closable without walking them through
states they never reached. Nothing leaves `terminated`; a returning partner is registered anew.
Suspending and terminating need a reason, because the partner and the auditors will ask for one.
"""

from __future__ import annotations

from prm_contracts.partners import PartnerStatus
from prm_contracts.problem import Conflict, UnprocessableContent, ValidationIssue

P = PartnerStatus

TRANSITIONS: dict[PartnerStatus, tuple[PartnerStatus, ...]] = {
    P.PROSPECT: (P.APPLIED, P.TERMINATED),
    P.APPLIED: (P.ONBOARDING, P.TERMINATED),
    P.ONBOARDING: (P.ACTIVE, P.TERMINATED),
    P.ACTIVE: (P.SUSPENDED, P.TERMINATED),
    P.SUSPENDED: (P.ACTIVE, P.TERMINATED),
    P.TERMINATED: (),
}

NEEDS_REASON = frozenset({P.SUSPENDED, P.TERMINATED})


class InvalidTransition(Conflict):
    slug, title = "invalid-status-transition", "Status transition not allowed"


def allowed_transitions(current: PartnerStatus) -> tuple[PartnerStatus, ...]:
    return TRANSITIONS[current]


def check_transition(current: PartnerStatus, target: PartnerStatus, reason: str | None) -> None:
    """Raise 409 (naming the allowed targets) for a move the state machine has no arrow for, 422 for a
    missing reason where one is needed."""
    allowed = allowed_transitions(current)
    if target not in allowed:
        names = ", ".join(allowed) if allowed else "none: terminated is final"
        raise InvalidTransition(
            f"a partner cannot move from {current} to {target}; allowed from {current}: {names}",
            current_status=current.value,
            allowed=[status.value for status in allowed],
        )
    if target in NEEDS_REASON and not (reason and reason.strip()):
        raise UnprocessableContent(
            f"moving a partner to {target} needs a reason",
            errors=[
                ValidationIssue(
                    loc=["body", "reason"], msg=f"a reason is required to move to {target}", type="missing"
                )
            ],
        )

"""The rules of an agreement's life: pure, no I/O.

    draft → active → expired | terminated   (expired and terminated are final)

An agreement is *current* on a day when it is active and runs that day (starts_on ≤ day ≤ ends_on, an
empty ends_on running on). Only a signed agreement leaves draft. `expired` records that the end day has
passed; ending an agreement early is `terminated`. A renewal is a new agreement, so that the terms each
period ran under stay on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from prm_contracts.agreements import AgreementStatus, AgreementType
from prm_contracts.problem import Conflict, UnprocessableContent, ValidationIssue

S = AgreementStatus

TRANSITIONS: dict[AgreementStatus, tuple[AgreementStatus, ...]] = {
    S.DRAFT: (S.ACTIVE,),
    S.ACTIVE: (S.EXPIRED, S.TERMINATED),
    S.EXPIRED: (),
    S.TERMINATED: (),
}
FINAL = frozenset({S.EXPIRED, S.TERMINATED})


class InvalidAgreementTransition(Conflict):
    slug, title = "invalid-agreement-status-transition", "Agreement status change not allowed"


class AgreementClosed(Conflict):
    slug, title = "agreement-closed", "Agreement is expired or terminated"


@dataclass(frozen=True)
class AgreementTerms:
    """What an agreement says, before or after a change."""

    agreement_type: AgreementType
    status: AgreementStatus
    signed_on: date | None
    starts_on: date
    ends_on: date | None


def is_current(terms: AgreementTerms, on: date) -> bool:
    return (
        terms.status == S.ACTIVE and terms.starts_on <= on and (terms.ends_on is None or terms.ends_on >= on)
    )


def _invalid(field: str, message: str, kind: str) -> UnprocessableContent:
    return UnprocessableContent(
        message, errors=[ValidationIssue(loc=["body", field], msg=message, type=kind)]
    )


def check_change(before: AgreementTerms, after: AgreementTerms, *, today: date) -> None:
    """Refuse a change to an agreement: 409 when it is closed or the status cannot move so, 422 when the
    resulting terms do not hold together."""
    if before.status in FINAL:
        raise AgreementClosed(f"the agreement is {before.status} and no longer changes; record a new one")
    if after.status != before.status and after.status not in TRANSITIONS[before.status]:
        allowed = TRANSITIONS[before.status]
        raise InvalidAgreementTransition(
            f"an agreement cannot move from {before.status} to {after.status}; allowed from {before.status}: "
            f"{', '.join(allowed)}",
            current_status=before.status.value,
            allowed=[status.value for status in allowed],
        )
    check_terms(after, today=today)


def check_terms(terms: AgreementTerms, *, today: date) -> None:
    """The terms hold together: signed unless a draft, ending on or after the start, expired only once
    ended."""
    if terms.status != S.DRAFT and terms.signed_on is None:
        raise _invalid(
            "signed_on", f"an agreement that is {terms.status} needs the day it was signed", "missing"
        )
    if terms.ends_on is not None and terms.ends_on < terms.starts_on:
        raise _invalid(
            "ends_on",
            f"ends_on ({terms.ends_on}) cannot be before starts_on ({terms.starts_on})",
            "ends_before_starts",
        )
    if terms.status == S.EXPIRED and (terms.ends_on is None or terms.ends_on >= today):
        raise _invalid(
            "status",
            "an agreement expires only once its ends_on has passed; to end it early, terminate it",
            "not_yet_ended",
        )

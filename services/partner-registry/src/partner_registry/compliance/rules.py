"""How a violation's status and resolution day go together: pure rules, no I/O.

`open` and `remediating` violations are open and have no `resolved_on`; `resolved` and `waived` ones are
closed and carry the day they were closed: the one given, else the one they had, else today (so `null`
on a closed violation means today). Reopening clears it. Any status may follow any other: a waiver can be withdrawn, a resolution can prove premature.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from prm_contracts.compliance import OPEN_VIOLATION_STATUSES, ViolationSeverity, ViolationStatus
from prm_contracts.problem import UnprocessableContent, ValidationIssue


@dataclass(frozen=True)
class ViolationState:
    policy: str
    finding: str
    severity: ViolationSeverity
    status: ViolationStatus
    opened_on: date
    resolved_on: date | None


def _invalid(field: str, message: str, kind: str) -> UnprocessableContent:
    return UnprocessableContent(
        message, errors=[ValidationIssue(loc=["body", field], msg=message, type=kind)]
    )


def resolved(state: ViolationState, *, resolved_on_sent: bool, today: date) -> ViolationState:
    """`state` with its resolution day set as its status demands; 422 when the day sent does not fit."""
    if state.status in OPEN_VIOLATION_STATUSES:
        if resolved_on_sent and state.resolved_on is not None:
            raise _invalid(
                "resolved_on",
                f"a violation that is {state.status} has no resolved_on",
                "resolved_on_while_open",
            )
        return replace(state, resolved_on=None)
    resolved_on = state.resolved_on or today
    if resolved_on < state.opened_on:
        field = "resolved_on" if resolved_on_sent else "opened_on"
        raise _invalid(
            field,
            f"resolved_on ({resolved_on}) cannot be before opened_on ({state.opened_on})",
            "resolved_before_opened",
        )
    return replace(state, resolved_on=resolved_on)


def changed_state(before: ViolationState, sent: dict[str, Any], *, today: date) -> ViolationState:
    """The violation once the fields `sent` (validated values of a patch) are applied."""
    return resolved(replace(before, **sent), resolved_on_sent="resolved_on" in sent, today=today)

"""The stages of a conflict case and what a move between them needs: pure rules, no I/O.

    reported → under_review → mediation → arbitration → ruled → closed

A case moves forward only; it may skip stages (a conflict settled in review goes straight to closed), never
go back. A move to `ruled` records the resolution; so does a move to `closed` of a case never ruled.
"""

from __future__ import annotations

from prm_contracts.conflicts import ConflictStage, ResolutionIn
from prm_contracts.problem import Conflict, UnprocessableContent, ValidationIssue

ORDER: tuple[ConflictStage, ...] = tuple(ConflictStage)


class InvalidStageMove(Conflict):
    slug, title = "invalid-stage-move", "Stage move not allowed"


def allowed_moves(current: ConflictStage) -> tuple[ConflictStage, ...]:
    """Every later stage."""
    return ORDER[ORDER.index(current) + 1 :]


def _resolution_issue(msg: str, kind: str) -> UnprocessableContent:
    return UnprocessableContent(msg, errors=[ValidationIssue(loc=["body", "resolution"], msg=msg, type=kind)])


def check_move(
    current: ConflictStage, target: ConflictStage, resolution: ResolutionIn | None, *, ruled: bool
) -> None:
    """409 (naming the allowed stages) for a move back or to the same stage; 422 for a resolution missing
    where one is needed or sent where none belongs. `ruled`: the case has a resolution already."""
    allowed = allowed_moves(current)
    if target not in allowed:
        names = ", ".join(allowed) if allowed else "none: closed is final"
        raise InvalidStageMove(
            f"a case cannot move from {current} to {target}: cases move forward only; allowed from "
            f"{current}: {names}",
            current_stage=current.value,
            allowed=[stage.value for stage in allowed],
        )
    needs_resolution = target == ConflictStage.RULED or (target == ConflictStage.CLOSED and not ruled)
    if needs_resolution and resolution is None:
        raise _resolution_issue(f"moving a case to {target} needs its resolution", "missing")
    if not needs_resolution and resolution is not None:
        if target == ConflictStage.CLOSED:
            raise _resolution_issue("the case was ruled already; its resolution stays as recorded", "ruled")
        raise _resolution_issue("a resolution is recorded only with a move to ruled or closed", "unexpected")

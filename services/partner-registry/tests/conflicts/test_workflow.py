"""The stages of a conflict case on their own: forward only, skipping allowed, resolutions where they belong."""

from __future__ import annotations

import itertools

import pytest
from partner_registry.conflicts.workflow import InvalidStageMove, allowed_moves, check_move
from prm_contracts.conflicts import ConflictOutcome, ConflictStage, ResolutionIn
from prm_contracts.problem import UnprocessableContent

STAGES = [stage.value for stage in ConflictStage]


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ConflictStage, ConflictStage)))
def test_cases_move_forward_only_and_may_skip(current: ConflictStage, target: ConflictStage) -> None:
    resolution = ResolutionIn(ruling="r", outcome=ConflictOutcome.SETTLED)
    needs = target == ConflictStage.RULED or target == ConflictStage.CLOSED
    if STAGES.index(target) > STAGES.index(current):
        check_move(current, target, resolution if needs else None, ruled=False)
    else:
        with pytest.raises(InvalidStageMove) as refused:
            check_move(current, target, None, ruled=False)
        assert refused.value.extensions["allowed"] == STAGES[STAGES.index(current) + 1 :]


def test_closed_is_final_and_ruled_leads_only_to_closed() -> None:
    assert allowed_moves(ConflictStage.CLOSED) == ()
    assert allowed_moves(ConflictStage.RULED) == (ConflictStage.CLOSED,)


def test_a_resolution_goes_with_ruled_or_an_unruled_close_only() -> None:
    resolution = ResolutionIn(ruling="r", outcome=ConflictOutcome.SETTLED)
    with pytest.raises(UnprocessableContent):
        check_move(ConflictStage.REPORTED, ConflictStage.RULED, None, ruled=False)
    with pytest.raises(UnprocessableContent):
        check_move(ConflictStage.MEDIATION, ConflictStage.CLOSED, None, ruled=False)
    with pytest.raises(UnprocessableContent):
        check_move(ConflictStage.RULED, ConflictStage.CLOSED, resolution, ruled=True)
    with pytest.raises(UnprocessableContent):
        check_move(ConflictStage.REPORTED, ConflictStage.MEDIATION, resolution, ruled=False)
    check_move(ConflictStage.RULED, ConflictStage.CLOSED, None, ruled=True)

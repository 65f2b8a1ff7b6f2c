"""The scoring maths, with no I/O: raw input → normalised 0-100 → weighted contribution → total and grade.

Exactness. Everything is computed in exact rationals (`Fraction`): a normalised value, a weight's share
`weight / sum(weights)` and a contribution `normalised * weight / sum(weights)` (so scaling every weight by the
same factor gives the very same numbers, and remainders that are equal compare equal). Decimals at a fixed
precision would not do: 100/3 three times sums to just under 100, so an exact half cent could round down and
two equal remainders could differ in their last digit. Then, once, for display and storage:

- the total is the exact sum of the contributions rounded half-up to 2 decimals;
- each contribution is rounded down to 2 decimals and the cents still missing to reach the rounded total go,
  one each, to the contributions with the largest remainders (ties: the criterion listed first) — the
  largest-remainder method, so the shown contributions sum to exactly the shown total;
- the weights' shares are shown to 6 decimals, allocated the same way so they sum to exactly 1;
- a normalised value is shown rounded half-up to 2 decimals;
- the grade is read from the rounded total.

Missing inputs follow each criterion's rule: `zero` scores 0 at full weight, `exclude` leaves the criterion
out (the remaining weights are renormalised), `incomplete` leaves the whole result without a total or grade
(as does a result in which every criterion was excluded).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from prm_contracts.scoring import (
    BandedNormaliser,
    BooleanNormaliser,
    CriterionDefinition,
    CriterionStatus,
    GradeBand,
    LinearNormaliser,
    MissingInput,
    RatingNormaliser,
)

HUNDRED = Fraction(100)
CENT_PLACES = 2
WEIGHT_PLACES = 6

RawInput = bool | int | Decimal
AnyNormaliser = LinearNormaliser | BandedNormaliser | BooleanNormaliser | RatingNormaliser


class UnfitInput(ValueError):
    """An input of the wrong kind for its criterion's normaliser (e.g. a number for a yes/no criterion)."""


@dataclass(frozen=True)
class CriterionOutcome:
    key: str
    label: str
    dimension: str
    status: CriterionStatus
    raw_input: RawInput | None
    normalised: Decimal | None  # 2 decimals
    weight: Decimal | None  # share of the total, 6 decimals
    contribution: Decimal | None  # 2 decimals


@dataclass(frozen=True)
class Result:
    complete: bool
    total: Decimal | None  # 2 decimals
    grade: str | None
    criteria: list[CriterionOutcome]


def _number(raw: RawInput, kind: str) -> Fraction:
    if isinstance(raw, bool):
        raise UnfitInput(f"a {kind} criterion takes a number, not a boolean")
    return Fraction(raw)


def normalise(normaliser: AnyNormaliser, raw: RawInput) -> Fraction:
    """The raw input on the 0-100 scale, exact; `UnfitInput` when it is the wrong kind."""
    if isinstance(normaliser, LinearNormaliser):
        value = _number(raw, "linear")
        floor, ceiling = Fraction(normaliser.floor), Fraction(normaliser.ceiling)
        clamped = min(max(value, floor), ceiling)
        share = (clamped - floor) * HUNDRED / (ceiling - floor)
        return HUNDRED - share if normaliser.direction == "decreasing" else share
    if isinstance(normaliser, BandedNormaliser):
        value = _number(raw, "banded")
        for band in normaliser.bands:
            if value >= Fraction(band.min) and (band.max is None or value < Fraction(band.max)):
                return Fraction(band.points)
        return Fraction(0)
    if isinstance(normaliser, BooleanNormaliser):
        if not isinstance(raw, bool):
            raise UnfitInput("a boolean criterion takes true or false")
        return Fraction(normaliser.true_points if raw else normaliser.false_points)
    rating = _number(raw, "rating_1_5")
    if rating not in {1, 2, 3, 4, 5}:
        raise UnfitInput("a rating_1_5 criterion takes a whole number from 1 to 5")
    return (rating - 1) * 25


def _units_half_up(value: Fraction, places: int) -> int:
    """`value` (non-negative) in units of 10**-places, rounded half-up."""
    return math.floor(value * Fraction(10) ** places + Fraction(1, 2))


def _decimal(units: int, places: int) -> Decimal:
    """`units` of 10**-places as a Decimal written with exactly `places` decimals (`4800, 2` → 48.00)."""
    return Decimal(units).scaleb(-places)


def allocate(exact: Sequence[Fraction], total: int, places: int) -> list[Decimal]:
    """`exact` (non-negative) rounded down to `places` decimals, plus one unit of the last place each to the
    largest remainders (earlier first on ties) until they make `total` units (largest-remainder method)."""
    scaled = [value * Fraction(10) ** places for value in exact]
    floors = [math.floor(value) for value in scaled]
    units = total - sum(floors)
    if not 0 <= units <= len(exact):
        raise ValueError(f"cannot allocate {total} units over {[str(value) for value in exact]}")
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(scaled[i] - floors[i]), i))
    for index in by_remainder[:units]:
        floors[index] += 1
    return [_decimal(floor, places) for floor in floors]


def grade_of(total: Decimal, bands: Sequence[GradeBand]) -> str:
    """The grade of the first band (highest first) whose `min_score` the total reaches."""
    for band in bands:
        if total >= band.min_score:
            return band.grade
    return bands[-1].grade


def score(
    criteria: Sequence[CriterionDefinition], inputs: Mapping[str, RawInput], grade_bands: Sequence[GradeBand]
) -> Result:
    """Score `inputs` (by criterion key; keys of no criterion are the caller's to refuse) under `criteria`.
    Raises `UnfitInput` (its message prefixed with the key) for an input of the wrong kind."""
    normalised: dict[str, Fraction] = {}
    statuses: dict[str, CriterionStatus] = {}
    for criterion in criteria:
        raw = inputs.get(criterion.key)
        if raw is not None:
            try:
                normalised[criterion.key] = normalise(criterion.normaliser, raw)
            except UnfitInput as error:
                raise UnfitInput(f"{criterion.key}: {error}") from error
            statuses[criterion.key] = CriterionStatus.SCORED
        elif criterion.when_missing == MissingInput.ZERO:
            normalised[criterion.key] = Fraction(0)
            statuses[criterion.key] = CriterionStatus.MISSING_ZERO
        elif criterion.when_missing == MissingInput.EXCLUDE:
            statuses[criterion.key] = CriterionStatus.EXCLUDED
        else:
            statuses[criterion.key] = CriterionStatus.MISSING

    counted = [c for c in criteria if c.key in normalised]
    complete = bool(counted) and CriterionStatus.MISSING not in statuses.values()
    weight_sum = sum((Fraction(c.weight) for c in counted), Fraction(0))
    shares = [Fraction(c.weight) / weight_sum for c in counted]
    shown_shares = dict(
        zip(
            (c.key for c in counted),
            allocate(shares, 10**WEIGHT_PLACES, WEIGHT_PLACES) if counted else [],
            strict=True,
        )
    )
    contributions: dict[str, Decimal] = {}
    total: Decimal | None = None
    if complete:
        exact = [normalised[c.key] * share for c, share in zip(counted, shares, strict=True)]
        total_units = _units_half_up(sum(exact, Fraction(0)), CENT_PLACES)
        total = _decimal(total_units, CENT_PLACES)
        contributions = dict(
            zip((c.key for c in counted), allocate(exact, total_units, CENT_PLACES), strict=True)
        )

    outcomes = [
        CriterionOutcome(
            key=c.key,
            label=c.label,
            dimension=c.dimension,
            status=statuses[c.key],
            raw_input=inputs.get(c.key),
            normalised=_decimal(_units_half_up(normalised[c.key], CENT_PLACES), CENT_PLACES)
            if c.key in normalised
            else None,
            weight=shown_shares.get(c.key),
            contribution=contributions.get(c.key),
        )
        for c in criteria
    ]
    grade = grade_of(total, grade_bands) if total is not None else None
    return Result(complete=complete, total=total, grade=grade, criteria=outcomes)

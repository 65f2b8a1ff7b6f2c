"""The scoring maths alone (no database): hand-computed examples and properties that hold for any input."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prm_contracts.scoring import DEFAULT_GRADE_BANDS, CriterionDefinition, CriterionStatus, GradeBand
from scoring.evaluation_models.maths import UnfitInput, allocate, grade_of, normalise, score

pytestmark = pytest.mark.backend_independent

BANDS = list(DEFAULT_GRADE_BANDS)


def crit(
    key: str, weight: str, normaliser: dict[str, Any], when_missing: str = "zero"
) -> CriterionDefinition:
    return CriterionDefinition.model_validate(
        {
            "key": key,
            "label": key,
            "dimension": "sales_capability",
            "weight": weight,
            "normaliser": normaliser,
            "when_missing": when_missing,
        }
    )


LINEAR_0_10 = {"kind": "linear", "floor": "0", "ceiling": "10"}


def test_weights_3_and_2_are_shares_of_0_6_and_0_4() -> None:
    criteria = [crit("a", "3", LINEAR_0_10), crit("b", "2", LINEAR_0_10)]

    result = score(criteria, {"a": Decimal("8"), "b": 5}, BANDS)

    # a: 8 of 0..10 → 80 points, share 3/5 = 0.6 → 48; b: 5 → 50 points, share 0.4 → 20; total 68 → grade C
    assert [(c.normalised, c.weight, c.contribution) for c in result.criteria] == [
        (Decimal("80.00"), Decimal("0.600000"), Decimal("48.00")),
        (Decimal("50.00"), Decimal("0.400000"), Decimal("20.00")),
    ]
    assert result.total == Decimal("68.00")
    assert result.grade == "C"  # 55 <= 68 < 70


def test_thirds_round_by_largest_remainder_so_the_parts_sum_to_the_total() -> None:
    criteria = [crit(key, "1", LINEAR_0_10) for key in ("a", "b", "c")]

    result = score(criteria, {"a": 10, "b": 10, "c": 0}, BANDS)

    # exact: 100/3 + 100/3 + 0 = 66.666… → total 66.67; floors 33.33 + 33.33 + 0 = 66.66, one cent to the
    # largest remainder (a and b tie at 0.00333…: the first listed, a)
    assert result.total == Decimal("66.67")
    assert [c.contribution for c in result.criteria] == [Decimal("33.34"), Decimal("33.33"), Decimal("0.00")]
    # shares 1/3 each: floors 0.333333 * 3 = 0.999999, the missing millionth to the first
    assert [c.weight for c in result.criteria] == [
        Decimal("0.333334"),
        Decimal("0.333333"),
        Decimal("0.333333"),
    ]
    assert sum(c.weight for c in result.criteria if c.weight) == Decimal(1)


def test_each_normaliser_by_hand() -> None:
    banded = {
        "kind": "banded",
        "bands": [{"min": "0", "max": "5", "points": "20"}, {"min": "10", "points": "90"}],
    }
    decreasing = {"kind": "linear", "floor": "2", "ceiling": "6", "direction": "decreasing"}

    assert normalise(crit("x", "1", LINEAR_0_10).normaliser, Decimal("2.5")) == 25
    assert normalise(crit("x", "1", LINEAR_0_10).normaliser, -4) == 0  # clamped below the floor
    assert normalise(crit("x", "1", LINEAR_0_10).normaliser, 40) == 100  # clamped above the ceiling
    assert normalise(crit("x", "1", decreasing).normaliser, 3) == 75  # 100 - (3-2)/(6-2)*100
    assert normalise(crit("x", "1", banded).normaliser, 4) == 20
    assert normalise(crit("x", "1", banded).normaliser, 7) == 0  # in the gap between bands
    assert normalise(crit("x", "1", banded).normaliser, 10) == 90  # min is inclusive, open-ended last band
    assert normalise(crit("x", "1", {"kind": "boolean", "true_points": "80"}).normaliser, True) == 80
    assert normalise(crit("x", "1", {"kind": "boolean"}).normaliser, False) == 0
    assert [normalise(crit("x", "1", {"kind": "rating_1_5"}).normaliser, r) for r in range(1, 6)] == [
        0,
        25,
        50,
        75,
        100,
    ]


@pytest.mark.parametrize(
    ("normaliser", "raw"),
    [
        ({"kind": "rating_1_5"}, 6),
        ({"kind": "rating_1_5"}, Decimal("2.5")),
        ({"kind": "boolean"}, 1),
        (LINEAR_0_10, True),
    ],
)
def test_an_input_of_the_wrong_kind_is_unfit(normaliser: dict[str, Any], raw: Any) -> None:
    with pytest.raises(UnfitInput, match=r"^k: "):
        score([crit("k", "1", normaliser)], {"k": raw}, BANDS)


def test_missing_inputs_follow_each_criteria_rule() -> None:
    criteria = [
        crit("a", "2", LINEAR_0_10),
        crit("zeroed", "1", LINEAR_0_10, "zero"),
        crit("left_out", "1", LINEAR_0_10, "exclude"),
    ]

    result = score(criteria, {"a": 10}, BANDS)

    # left_out is excluded: shares 2/3 and 1/3; a 100·2/3 = 66.666…, zeroed 0 → 66.67
    assert result.total == Decimal("66.67")
    assert [c.status for c in result.criteria] == [
        CriterionStatus.SCORED,
        CriterionStatus.MISSING_ZERO,
        CriterionStatus.EXCLUDED,
    ]
    assert result.criteria[2].weight is None
    assert result.criteria[2].contribution is None
    assert result.criteria[1].contribution == Decimal("0.00")


def test_a_missing_input_marked_incomplete_leaves_no_total_nor_grade() -> None:
    criteria = [crit("a", "1", LINEAR_0_10), crit("needed", "1", LINEAR_0_10, "incomplete")]

    result = score(criteria, {"a": 10}, BANDS)

    assert (result.complete, result.total, result.grade) == (False, None, None)
    assert [c.contribution for c in result.criteria] == [None, None]
    assert result.criteria[0].normalised == Decimal("100.00")


def test_every_criterion_excluded_is_incomplete() -> None:
    result = score([crit("a", "1", LINEAR_0_10, "exclude")], {}, BANDS)

    assert (result.complete, result.total) == (False, None)


def test_grades_by_the_bands() -> None:
    bands = [GradeBand(grade="A", min_score=Decimal(90)), GradeBand(grade="F", min_score=Decimal(0))]

    assert [grade_of(Decimal(t), BANDS) for t in ("85", "84.99", "70", "55", "40", "39.99", "0")] == [
        "A",
        "B",
        "B",
        "C",
        "D",
        "E",
        "E",
    ]
    assert grade_of(Decimal("89.99"), bands) == "F"


def test_allocate_gives_the_missing_units_to_the_largest_remainders() -> None:
    # 1.004 + 2.007 + 0.009 = 3.02 exactly; floors 1.00 + 2.00 + 0.00 = 3.00; 2 cents to .009 and .007
    assert allocate([Fraction("1.004"), Fraction("2.007"), Fraction("0.009")], 302, 2) == [
        Decimal("1.00"),
        Decimal("2.01"),
        Decimal("0.01"),
    ]


LINEAR_0_100 = {"kind": "linear", "floor": "0", "ceiling": "100"}


def test_a_total_exactly_on_a_half_cent_rounds_up() -> None:
    criteria = [crit(key, "1", LINEAR_0_100) for key in ("a", "b", "c")]

    result = score(criteria, {"a": Decimal("91.096"), "b": Decimal("70.357"), "c": Decimal("93.532")}, BANDS)

    # (91.096 + 70.357 + 93.532) / 3 = 254.985 / 3 = 84.995 exactly → half-up 85.00, grade A (85 is A).
    # Parts 30.365333…, 23.452333…, 31.177333…: floors 30.36 + 23.45 + 31.17 = 84.98, two cents to the
    # largest remainders (0.5333… of a cent for a, 0.7333… for c; b's 0.2333… gets none).
    assert (result.total, result.grade) == (Decimal("85.00"), "A")
    assert [c.contribution for c in result.criteria] == [Decimal("30.37"), Decimal("23.45"), Decimal("31.18")]


def test_exactly_equal_remainders_give_the_cent_to_the_criterion_listed_first() -> None:
    criteria = [crit("a", "1", LINEAR_0_100), crit("b", "10", LINEAR_0_100)]

    result = score(criteria, {"a": 50, "b": 27}, BANDS)

    # a: 50 · 1/11 = 50/11 = 4.5454…; b: 27 · 10/11 = 270/11 = 24.5454…; total 320/11 = 29.0909… → 29.09.
    # In cents a is 5000/11 = 454 + 6/11 and b 27000/11 = 2454 + 6/11: floors 4.54 + 24.54 = 29.08 and the
    # remainders are both exactly 6/11 of a cent, so the one missing cent goes to a, listed first.
    assert result.total == Decimal("29.09")
    assert [c.contribution for c in result.criteria] == [Decimal("4.55"), Decimal("24.54")]


# --- properties ----------------------------------------------------------------------------------------------

weights = st.integers(min_value=1, max_value=10_000).map(lambda n: Decimal(n) / 100)
inputs = st.integers(min_value=-50, max_value=150)
normalisers = st.sampled_from(
    [
        LINEAR_0_10,
        {"kind": "linear", "floor": "-5", "ceiling": "120.5"},
        {
            "kind": "banded",
            "bands": [
                {"min": "0", "max": "10", "points": "10"},
                {"min": "10", "max": "50", "points": "55.5"},
                {"min": "50", "points": "100"},
            ],
        },
    ]
)


@st.composite
def models(draw: st.DrawFn) -> tuple[list[CriterionDefinition], dict[str, Decimal]]:
    size = draw(st.integers(min_value=1, max_value=8))
    criteria = [crit(f"c{i}", format(draw(weights), "f"), draw(normalisers)) for i in range(size)]
    values = {c.key: Decimal(draw(inputs)) for c in criteria}
    return criteria, values


@settings(max_examples=150, deadline=None)
@given(models())
def test_same_inputs_and_version_give_the_same_score_within_bounds_summing_exactly(
    model: tuple[list[CriterionDefinition], dict[str, Decimal]],
) -> None:
    criteria, values = model

    first, again = score(criteria, values, BANDS), score(criteria, dict(values), BANDS)

    assert first == again
    assert first.total is not None
    assert Decimal(0) <= first.total <= Decimal(100)
    assert sum(c.contribution for c in first.criteria if c.contribution is not None) == first.total
    assert sum(c.weight for c in first.criteria if c.weight is not None) == Decimal(1)


@settings(max_examples=150, deadline=None)
@given(models(), st.integers(min_value=1, max_value=1000))
def test_scaling_every_weight_by_k_changes_nothing(
    model: tuple[list[CriterionDefinition], dict[str, Decimal]], k: int
) -> None:
    criteria, values = model
    scaled = [c.model_copy(update={"weight": c.weight * k}) for c in criteria]

    assert score(scaled, values, BANDS) == score(criteria, values, BANDS)


@settings(max_examples=150, deadline=None)
@given(models(), st.data())
def test_the_total_never_falls_when_one_input_rises(
    model: tuple[list[CriterionDefinition], dict[str, Decimal]], data: st.DataObject
) -> None:
    criteria, values = model
    key = data.draw(st.sampled_from(sorted(values)))
    raised = values | {key: values[key] + data.draw(st.integers(min_value=0, max_value=200))}

    before, after = score(criteria, values, BANDS), score(criteria, raised, BANDS)

    assert before.total is not None
    assert after.total is not None
    assert after.total >= before.total


def reference_score(
    criteria: list[CriterionDefinition], values: dict[str, Decimal]
) -> tuple[Decimal, list[Decimal]]:
    """The documented rule, slowly and exactly: (total, contributions) for linear criteria with every input."""
    weight_sum = sum(Fraction(c.weight) for c in criteria)
    parts = []
    for c in criteria:
        floor, ceiling = Fraction(c.normaliser.floor), Fraction(c.normaliser.ceiling)  # type: ignore[union-attr]
        clamped = min(max(Fraction(values[c.key]), floor), ceiling)
        parts.append((clamped - floor) * 100 / (ceiling - floor) * Fraction(c.weight) / weight_sum)
    in_cents = sum(parts) * 100
    total_cents = int(in_cents) + (1 if in_cents - int(in_cents) >= Fraction(1, 2) else 0)  # half-up, ≥ 0
    cents = [int(part * 100) for part in parts]
    remainders = [part * 100 - cent for part, cent in zip(parts, cents, strict=True)]
    for _ in range(total_cents - sum(cents)):
        best = max(range(len(parts)), key=lambda i: (remainders[i], -i))  # largest, then the first listed
        cents[best] += 1
        remainders[best] = Fraction(-1)
    return Decimal(total_cents) / 100, [Decimal(cent) / 100 for cent in cents]


# Small whole weights and 3-decimal inputs: sums on exact half cents and exactly equal remainders are common.
tie_prone = st.lists(
    st.tuples(st.integers(min_value=1, max_value=12), st.integers(min_value=-1_000, max_value=101_000)),
    min_size=1,
    max_size=7,
)


@settings(max_examples=300, deadline=None)
@given(tie_prone)
def test_total_and_contributions_agree_with_an_exact_reference(drawn: list[tuple[int, int]]) -> None:
    criteria = [crit(f"c{i}", str(weight), LINEAR_0_100) for i, (weight, _) in enumerate(drawn)]
    values = {f"c{i}": Decimal(thousandths).scaleb(-3) for i, (_, thousandths) in enumerate(drawn)}

    result = score(criteria, values, BANDS)

    total, contributions = reference_score(criteria, values)
    assert result.total == total
    assert [c.contribution for c in result.criteria] == contributions
    assert result.grade == grade_of(total, BANDS)

"""What the registry asks scoring about an applicant: the pre-qualification gates and the evaluation score.

The contract scoring must implement (internal endpoints, called with the internal credential only):

- `POST /internal/prequalifications` — body `PrequalificationRequest`, answer 200 `PrequalificationResult`:
  each minimum requirement (gate) of the current evaluation model checked against the applicant's facts
  and questionnaire answers, and whether all of them passed.
- `POST /internal/application-evaluations` — body `ApplicationEvaluationRequest`, answer 200
  `ApplicationEvaluation`: the weighted evaluation (0 to 100) with each criterion's contribution.

Both are pure computations over the request (no state is created), so a caller may repeat them freely;
errors are problem+json like every other answer. Scores and weights are decimal strings, never floats.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from prm_contracts.counts import VersionNumber
from prm_contracts.dates import IsoDate, PastOrTodayDate
from prm_contracts.json_values import JsonObject, check_json_value
from prm_contracts.money import Money
from prm_contracts.partners import PartnerType, Specialisations
from prm_contracts.patch import Omittable
from prm_contracts.text import NOT_BLANK

PREQUALIFICATION_PATH = "/internal/prequalifications"
APPLICATION_EVALUATION_PATH = "/internal/application-evaluations"

DECIMAL_PATTERN = r"^-?[0-9]{1,9}(\.[0-9]{1,6})?$"
MAX_WHOLE_INPUT = 999_999_999  # a criterion input sent as a whole number: as many digits as DECIMAL_PATTERN's
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)


def parse_decimal(value: Any) -> Decimal:
    """A decimal string (or a Decimal from Python code); JSON numbers are refused, as floats are inexact."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("must be a finite decimal")
        value = format(value, "f")
    if not isinstance(value, str) or not _DECIMAL_RE.fullmatch(value):
        raise ValueError('must be a decimal string such as "72.5" (up to 6 decimal places), not a number')
    return Decimal(value)


DecimalString = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN, "examples": ["72.5"]}),
]


class ApplicantFacts(BaseModel):
    """An applicant as scoring sees it: the company facts and the questionnaire answers as submitted."""

    application_id: UUID
    legal_name: str
    partner_type: PartnerType
    country: str = Field(description="ISO 3166-1 alpha-2", examples=["DE"])
    website_domain: str | None = None
    year_founded: int | None = None
    employee_count: int | None = None
    annual_revenue: Money | None = None
    specialisations: Specialisations = Field(default_factory=Specialisations)
    segments_served: list[str] = Field(default_factory=list, description="Customer segments served.")
    questionnaire: JsonObject = Field(
        default_factory=dict, description="The answers to the pre-qualification questionnaire."
    )


class PrequalificationRequest(BaseModel):
    """Body of `POST /internal/prequalifications`."""

    applicant: ApplicantFacts


class GateResult(BaseModel):
    """One minimum requirement and whether the applicant (or assessed partner) meets it."""

    gate: str = Field(examples=["min_employees"], description="The gate's key in the model version.")
    passed: bool
    detail: str | None = Field(default=None, examples=["12 employees, at least 10 required"])
    rule: str | None = Field(default=None, examples=["employees >= 10"], description="The requirement.")
    actual: str | None = Field(
        default=None, examples=["12"], description="The value found; null when the fact was not provided."
    )
    threshold: str | None = Field(default=None, examples=["10"], description="The value required.")


class PrequalificationResult(BaseModel):
    """Answer of `POST /internal/prequalifications`: passed only when every gate passed."""

    passed: bool
    gates: list[GateResult]
    model_version: str = Field(description="The evaluation model version whose gates were applied.")


class ApplicationEvaluationRequest(BaseModel):
    """Body of `POST /internal/application-evaluations`."""

    applicant: ApplicantFacts


class CriterionScore(BaseModel):
    """One criterion of the weighted evaluation: its weight, the applicant's score and the contribution."""

    criterion: str = Field(examples=["financial_stability"])
    weight: DecimalString = Field(description="Share of the total, 0 to 1.")
    score: DecimalString = Field(description="The applicant's score on this criterion, 0 to 100.")
    contribution: DecimalString | None = Field(
        description="weight * score: its part of the total; null when the evaluation is incomplete."
    )
    dimension: str | None = Field(default=None, examples=["financial_stability"])


class ApplicationEvaluation(BaseModel):
    """Answer of `POST /internal/application-evaluations`."""

    score: DecimalString | None = Field(
        description="The weighted total, 0 to 100; null when a criterion that makes the evaluation incomplete "
        "had no input."
    )
    grade: str | None = Field(default=None, examples=["B"])
    criteria: list[CriterionScore] = Field(default_factory=list)
    unscored: list[str] = Field(
        default_factory=list,
        description="Keys of the criteria without a usable input that were left out (excluded, or making "
        "the evaluation incomplete).",
    )
    model_version: str


# --- evaluation models (the public API: /v1/evaluation-models) ---------------------------------------------

DEFAULT_MODEL_NAME = "partner-evaluation"
DEFAULT_DIMENSIONS: tuple[str, ...] = (
    "strategic_fit",
    "financial_stability",
    "sales_capability",
    "marketing_capability",
    "technical_capability",
    "customer_service",
)
MAX_CRITERIA = 100
MAX_GATES = 50
MAX_BANDS = 20

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,59}$"),
    Field(
        description="Lower case letters, digits and underscores, starting with a letter.", examples=["nps"]
    ),
]
ModelName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,79}$"),
    Field(description="Lower case letters, digits and hyphens.", examples=[DEFAULT_MODEL_NAME]),
]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200), NOT_BLANK]
Notes = Annotated[str, StringConstraints(min_length=1, max_length=4000), NOT_BLANK]
HUNDRED = Decimal(100)


def _points(value: Decimal, name: str) -> Decimal:
    if not Decimal(0) <= value <= HUNDRED:
        raise PydanticCustomError("points_range", "{name} must be between 0 and 100", {"name": name})
    return value


class LinearNormaliser(BaseModel):
    """The input read on a straight line from `floor` (0 points) to `ceiling` (100), clamped outside; with
    `direction: decreasing`, `floor` gives 100 and `ceiling` 0 (for inputs where less is better)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "linear", "floor": "0", "ceiling": "10", "direction": "increasing"}]
        },
    )

    kind: Literal["linear"] = "linear"
    floor: DecimalString
    ceiling: DecimalString
    direction: Literal["increasing", "decreasing"] = "increasing"

    @model_validator(mode="after")
    def _floor_below_ceiling(self) -> LinearNormaliser:
        if self.floor >= self.ceiling:
            raise PydanticCustomError(
                "floor_not_below_ceiling",
                "floor ({floor}) must be below ceiling ({ceiling})",
                {"floor": str(self.floor), "ceiling": str(self.ceiling)},
            )
        return self


class Band(BaseModel):
    """Inputs from `min` (inclusive) up to `max` (exclusive; null: no upper end) score `points`."""

    model_config = ConfigDict(extra="forbid")

    min: DecimalString
    max: DecimalString | None = None
    points: DecimalString

    @model_validator(mode="after")
    def _valid(self) -> Band:
        _points(self.points, "points")
        if self.max is not None and self.max <= self.min:
            raise PydanticCustomError(
                "band_empty",
                "band max ({max}) must be above its min ({min})",
                {"max": self.max, "min": self.min},
            )
        return self


class BandedNormaliser(BaseModel):
    """A lookup: the band holding the input gives its points; an input in no band scores 0. Bands are
    ordered by `min` and do not overlap; only the last may be open-ended."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["banded"] = "banded"
    bands: list[Band] = Field(min_length=1, max_length=MAX_BANDS)

    @model_validator(mode="after")
    def _ordered_and_disjoint(self) -> BandedNormaliser:
        for position, (lower, upper) in enumerate(pairwise(self.bands), start=1):
            if lower.max is None or lower.max > upper.min:
                raise PydanticCustomError(
                    "bands_overlap",
                    "bands must be ordered by min and must not overlap: band {upper} starts at {min}, "
                    "before band {lower} ends",
                    {"lower": position, "upper": position + 1, "min": str(upper.min)},
                )
        return self


class BooleanNormaliser(BaseModel):
    """A yes/no input: `true_points` for true, `false_points` for false."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["boolean"] = "boolean"
    true_points: DecimalString = Decimal(100)
    false_points: DecimalString = Decimal(0)

    @model_validator(mode="after")
    def _in_range(self) -> BooleanNormaliser:
        _points(self.true_points, "true_points")
        _points(self.false_points, "false_points")
        return self


class RatingNormaliser(BaseModel):
    """A whole-number rating 1 to 5: 1 → 0, 2 → 25, 3 → 50, 4 → 75, 5 → 100."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["rating_1_5"] = "rating_1_5"


Normaliser = Annotated[
    LinearNormaliser | BandedNormaliser | BooleanNormaliser | RatingNormaliser, Field(discriminator="kind")
]


class MissingInput(StrEnum):
    """What a criterion without an input does: scores 0, is left out (the other weights are renormalised),
    or makes the whole assessment incomplete (no total, no grade)."""

    ZERO = "zero"
    EXCLUDE = "exclude"
    INCOMPLETE = "incomplete"


class CriterionDefinition(BaseModel):
    """One weighted criterion of a model version."""

    model_config = ConfigDict(extra="forbid")

    key: Slug
    label: Label
    dimension: Slug = Field(description=f"One of {', '.join(DEFAULT_DIMENSIONS)}, or a custom one.")
    weight: DecimalString = Field(
        description="Positive; the weights of a version are normalised to sum to 1.", examples=["3"]
    )
    normaliser: Normaliser
    when_missing: MissingInput = MissingInput.ZERO

    @field_validator("weight")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise PydanticCustomError("weight_not_positive", "weight must be above 0")
        return value


class YearsInBusinessGate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["years_in_business"] = "years_in_business"
    key: Slug
    min_years: int = Field(ge=0, le=500)


class AnnualRevenueGate(BaseModel):
    """Annual revenue at least `min_revenue`, in the same currency (scoring converts no currencies: revenue
    in another currency fails the gate, saying so)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["annual_revenue"] = "annual_revenue"
    key: Slug
    min_revenue: Money

    @field_validator("min_revenue")
    @classmethod
    def _not_negative(cls, value: Money) -> Money:
        if value.amount < 0:
            raise PydanticCustomError("negative_revenue", "min_revenue cannot be negative")
        return value


class EmployeesGate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["employees"] = "employees"
    key: Slug
    min_employees: int = Field(ge=0, le=10_000_000)


class CertifiedTechnicalContactGate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["certified_technical_contact"] = "certified_technical_contact"
    key: Slug


class NoOpenComplianceViolationGate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["no_open_compliance_violation"] = "no_open_compliance_violation"
    key: Slug


def parse_answer_scalar(value: Any) -> Any:
    """A questionnaire value compared as JSON: a string, a whole number, a boolean or null (no floats)."""
    if isinstance(value, float):
        raise PydanticCustomError(
            "float_not_allowed", 'numbers must be whole, or a decimal string such as "2.5"'
        )
    if value is not None and not isinstance(value, str | int | bool):
        raise PydanticCustomError("not_scalar", "must be a string, a whole number, a boolean or null")
    return value


AnswerScalar = Annotated[Any, BeforeValidator(parse_answer_scalar)]


class QuestionnaireGate(BaseModel):
    """A questionnaire answer that `equals` a value, is `in` a list, or is `at_least` a number."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["questionnaire"] = "questionnaire"
    key: Slug
    question: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    operator: Literal["equals", "in", "at_least"]
    value: Annotated[Any, AfterValidator(check_json_value)] = Field(
        description="`equals`: a string, whole number, boolean or null; `in`: a list of those; `at_least`: a "
        'decimal string such as "3".'
    )

    @model_validator(mode="after")
    def _value_fits_operator(self) -> QuestionnaireGate:
        if self.operator == "equals":
            self.value = parse_answer_scalar(self.value)
        elif self.operator == "in":
            if not isinstance(self.value, list) or not self.value or len(self.value) > 100:
                raise PydanticCustomError(
                    "in_list", "value of an `in` gate must be a list of 1 to 100 answers"
                )
            self.value = [parse_answer_scalar(item) for item in self.value]
        else:
            self.value = parse_decimal(self.value)
        return self


Gate = Annotated[
    YearsInBusinessGate
    | AnnualRevenueGate
    | EmployeesGate
    | CertifiedTechnicalContactGate
    | NoOpenComplianceViolationGate
    | QuestionnaireGate,
    Field(discriminator="type"),
]


class GradeBand(BaseModel):
    """Totals from `min_score` up (to the next band) get `grade`."""

    model_config = ConfigDict(extra="forbid")

    grade: Annotated[str, StringConstraints(pattern=r"^[A-Z][+-]?$")]
    min_score: DecimalString

    @field_validator("min_score")
    @classmethod
    def _in_range(cls, value: Decimal) -> Decimal:
        return _points(value, "min_score")


DEFAULT_GRADE_BANDS: tuple[GradeBand, ...] = tuple(
    GradeBand(grade=grade, min_score=Decimal(minimum))
    for grade, minimum in (("A", 85), ("B", 70), ("C", 55), ("D", 40), ("E", 0))
)


def _unique(keys: list[str], what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise PydanticCustomError(
                "duplicate_key", "{what} key {key} is used twice", {"what": what, "key": repr(key)}
            )
        seen.add(key)


def check_grade_bands(bands: list[GradeBand]) -> list[GradeBand]:
    """Highest first, strictly descending, distinct grades, the last starting at 0 (every total has a grade)."""
    _unique([band.grade for band in bands], "grade")
    for higher, lower in pairwise(bands):
        if lower.min_score >= higher.min_score:
            raise PydanticCustomError(
                "grade_bands_order", "grade bands must be ordered from the highest min_score down"
            )
    if bands[-1].min_score != 0:
        raise PydanticCustomError("grade_bands_floor", "the last grade band must start at 0")
    return bands


GradeBands = Annotated[list[GradeBand], Field(min_length=1, max_length=20), AfterValidator(check_grade_bands)]
Criteria = Annotated[list[CriterionDefinition], Field(min_length=1, max_length=MAX_CRITERIA)]
Gates = Annotated[list[Gate], Field(max_length=MAX_GATES)]


def check_definition(criteria: list[CriterionDefinition] | None, gates: list[Any] | None) -> None:
    if criteria is not None:
        _unique([criterion.key for criterion in criteria], "criterion")
    if gates is not None:
        _unique([gate.key for gate in gates], "gate")


# The documented examples, spelled out: composed field by field, a normaliser's floor met its ceiling and the
# last grade band did not start at 0 (both refused). services/scoring/tests/test_documented_examples.py
# sends each as it stands.
_EXAMPLE_GRADE_BANDS = [
    {"grade": grade, "min_score": minimum}
    for grade, minimum in (("A", "85"), ("B", "70"), ("C", "55"), ("D", "40"), ("E", "0"))
]
_EXAMPLE_VERSION: dict[str, Any] = {
    "criteria": [
        {
            "key": "years_in_business",
            "label": "Years in business",
            "dimension": "financial_stability",
            "weight": "3",
            "normaliser": {"kind": "linear", "floor": "0", "ceiling": "10", "direction": "increasing"},
            "when_missing": "zero",
        },
        {
            "key": "has_support_desk",
            "label": "Runs its own support desk",
            "dimension": "customer_service",
            "weight": "1",
            "normaliser": {"kind": "boolean", "true_points": "100", "false_points": "0"},
            "when_missing": "exclude",
        },
    ],
    "gates": [{"type": "years_in_business", "key": "min_years_in_business", "min_years": 1}],
    "grade_bands": _EXAMPLE_GRADE_BANDS,
    "notes": "Weights agreed with the channel team.",
}


class ModelVersionIn(BaseModel):
    """The content of a model version: its criteria, gates and grade bands."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE_VERSION]})

    criteria: Criteria
    gates: Gates = Field(default_factory=list)
    grade_bands: GradeBands = Field(default_factory=lambda: list(DEFAULT_GRADE_BANDS))
    notes: Notes | None = None

    @model_validator(mode="after")
    def _distinct_keys(self) -> ModelVersionIn:
        check_definition(self.criteria, self.gates)
        return self


class EvaluationModelIn(BaseModel):
    """A new model and its first version, a draft."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "reseller-evaluation",
                    "description": "How resellers applying to the programme are screened.",
                    "version": _EXAMPLE_VERSION,
                }
            ]
        },
    )

    name: ModelName
    description: Notes | None = None
    version: ModelVersionIn


class NewModelVersionIn(BaseModel):
    """A new draft version: a copy of version `copy_from` with the fields sent replaced, or (without
    `copy_from`) a version of its own, which then needs `criteria`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "copy_from": 1,
                    "grade_bands": [
                        {"grade": "A", "min_score": "80"},
                        {"grade": "B", "min_score": "60"},
                        {"grade": "C", "min_score": "0"},
                    ],
                    "notes": "Three grades from the 2027 programme on.",
                }
            ]
        },
    )

    copy_from: VersionNumber | None = Field(default=None, description="The number of the version to copy.")
    criteria: Criteria | None = None
    gates: Gates | None = None
    grade_bands: GradeBands | None = None
    notes: Notes | None = None

    @model_validator(mode="after")
    def _complete(self) -> NewModelVersionIn:
        if self.copy_from is None and self.criteria is None:
            raise PydanticCustomError("criteria_required", "criteria are required unless copy_from is given")
        check_definition(self.criteria, self.gates)
        return self


class ModelVersionPatch(BaseModel):
    """The fields of a draft to replace (each as a whole); left out keeps. Needs `If-Match`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "gates": [
                        {"type": "years_in_business", "key": "min_years_in_business", "min_years": 2},
                        {"type": "employees", "key": "min_employees", "min_employees": 5},
                    ],
                    "notes": "Stricter gates, as the partner council asked.",
                }
            ]
        },
    )

    # Omittable: each can be replaced but never cleared (null is 422 `null_not_allowed`); notes can be cleared.
    criteria: Omittable[Criteria] = None
    gates: Omittable[Gates] = None
    grade_bands: Omittable[GradeBands] = None
    notes: Notes | None = None

    @model_validator(mode="after")
    def _distinct_keys(self) -> ModelVersionPatch:
        check_definition(self.criteria, self.gates)
        return self


class VersionStatus(StrEnum):
    """draft (editable) → published (immutable; assessments may use it)."""

    DRAFT = "draft"
    PUBLISHED = "published"


class ModelVersionOut(BaseModel):
    id: UUID
    model_id: UUID
    model_name: str = Field(examples=[DEFAULT_MODEL_NAME])
    number: int = Field(description="1, 2, ... within the model.")
    status: VersionStatus
    criteria: list[CriterionDefinition]
    gates: list[Gate]
    grade_bands: list[GradeBand]
    notes: str | None
    copied_from: int | None = Field(description="The number of the version this draft was copied from.")
    created_by: str
    published_by: str | None
    published_at: AwareDatetime | None
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime


class EvaluationModelOut(BaseModel):
    id: UUID
    name: str
    description: str | None
    current_version: int | None = Field(
        description="The version published last (not necessarily the highest number): the one assessments "
        "and applications use by default."
    )
    latest_version: int = Field(description="The highest version number, draft or published.")
    created_by: str
    created_at: AwareDatetime
    updated_at: AwareDatetime


# --- assessments (the public API: /v1/assessments) ---------------------------------------------------------


def parse_input(value: Any) -> bool | int | Decimal:
    """A criterion input: a boolean, a whole number or a decimal string; never a float (inexact). A whole
    number has the same bound as a decimal string's integer part (9 digits)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_WHOLE_INPUT:
            raise PydanticCustomError(
                "input_range",
                "a whole number must be between -{bound} and {bound}",
                {"bound": MAX_WHOLE_INPUT},
            )
        return value
    if isinstance(value, float):
        raise PydanticCustomError(
            "float_not_allowed",
            'must be a decimal string such as "72.5", a whole number or a boolean, not a float',
        )
    try:
        return parse_decimal(value)
    except ValueError as exc:
        raise PydanticCustomError(
            "input_type", 'must be a decimal string such as "72.5", a whole number or a boolean'
        ) from exc


InputValue = Annotated[
    bool | int | Decimal,
    BeforeValidator(parse_input),
    PlainSerializer(lambda v: format(v, "f") if isinstance(v, Decimal) else v),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": DECIMAL_PATTERN},
                {"type": "integer", "minimum": -MAX_WHOLE_INPUT, "maximum": MAX_WHOLE_INPUT},
                {"type": "boolean"},
            ],
            "examples": ["72.5"],
        }
    ),
]
# additionalProperties: the keys' pattern becomes `patternProperties`, which alone would allow any other key
Inputs = Annotated[
    dict[Slug, InputValue],
    Field(max_length=MAX_CRITERIA, json_schema_extra={"additionalProperties": False}),
]


class AssessmentFactsIn(BaseModel):
    """Gate facts the registry does not hold: supplied by the assessor."""

    model_config = ConfigDict(extra="forbid")

    certified_technical_contact: StrictBool | None = None
    answers: JsonObject = Field(
        default_factory=dict,
        max_length=100,
        description="Answers read by questionnaire gates: any JSON, but a lone UTF-16 surrogate or a number "
        "JSON has not (NaN, Infinity, 1e999) is refused (422, saying where).",
    )


class GateFacts(BaseModel):
    """Every fact the gates read, as they were when the score was computed (null: not known)."""

    years_in_business: int | None = None
    employees: int | None = None
    annual_revenue: Money | None = None
    certified_technical_contact: bool | None = None
    open_compliance_violations: int | None = None
    answers: dict[str, Any] = Field(default_factory=dict)


class AssessmentIn(BaseModel):
    """An assessment of a partner: inputs by criterion key, scored under the model's current published
    version unless `model_version` names another published one."""

    model_config = ConfigDict(extra="forbid")

    partner_id: UUID
    model: ModelName = DEFAULT_MODEL_NAME
    model_version: VersionNumber | None = None
    inputs: Inputs
    assessor: Label = Field(examples=["Jane Doe, channel manager"])
    assessed_on: PastOrTodayDate
    evidence_notes: Notes | None = None
    facts: AssessmentFactsIn = Field(default_factory=AssessmentFactsIn)


class CriterionStatus(StrEnum):
    SCORED = "scored"
    MISSING_ZERO = "missing_zero"  # no input; scored 0 by its rule
    EXCLUDED = "excluded"  # no input; left out, the other weights renormalised
    MISSING = "missing"  # no input; the assessment is incomplete


class CriterionResult(BaseModel):
    """How one criterion made its part of the total."""

    key: str
    label: str
    dimension: str
    status: CriterionStatus
    raw_input: InputValue | None
    normalised: DecimalString | None = Field(description="0 to 100, rounded to 2 decimals.")
    weight: DecimalString | None = Field(
        description="Its normalised weight (the weights that count sum to exactly 1; 6 decimals)."
    )
    contribution: DecimalString | None = Field(
        description="Its part of the total (2 decimals); the contributions sum to exactly the total."
    )


class ScoreOut(BaseModel):
    """A score under one model version, with its explanation."""

    model: str
    model_version: int
    complete: bool = Field(description="False when a criterion whose rule is `incomplete` had no input.")
    total: DecimalString | None = Field(description="0 to 100 (2 decimals); null when incomplete.")
    grade: str | None
    gates_passed: bool
    gates: list[GateResult]
    criteria: list[CriterionResult]


class AssessmentOut(ScoreOut):
    id: UUID
    partner_id: UUID
    inputs: dict[str, InputValue]
    facts: GateFacts
    assessor: str
    assessed_on: IsoDate
    evidence_notes: str | None
    created_by: str
    created_at: AwareDatetime


class RescoringOut(ScoreOut):
    """A stored assessment scored again under another version; nothing is stored."""

    assessment_id: UUID
    stored_model_version: int
    stored_total: DecimalString | None


# --- the score API: one partner's evaluation, health and tier standing --------------------------------------

MAX_SCORE_BATCH = 10_000


class DimensionScore(BaseModel):
    """A dimension's part of an evaluation: the sums over its criteria."""

    dimension: str = Field(examples=["sales_capability"])
    contribution: DecimalString | None = Field(
        description="Sum of its criteria's contributions (2 decimals); null when the evaluation is incomplete "
        "(no total, so no contributions)."
    )
    weight: DecimalString = Field(description="Sum of its criteria's normalised weights (6 decimals).")


class EvaluationSummary(BaseModel):
    """The partner's latest assessment, summarised by dimension (the full explanation is the assessment)."""

    assessment_id: UUID
    model: str
    model_version: int
    total: DecimalString | None = Field(description="0 to 100 (2 decimals); null when incomplete.")
    grade: str | None
    complete: bool
    gates_passed: bool
    assessed_on: IsoDate
    dimensions: list[DimensionScore]


class SignalSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class HealthLevel(StrEnum):
    """The worst severity among a partner's signals, or `healthy` when none fires."""

    HEALTHY = "healthy"
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class HealthSignalKind(StrEnum):
    REVENUE_DECLINING = "revenue_declining"
    ATTAINMENT_LOW = "attainment_low"
    NPS_DROP = "nps_drop"
    CERTIFICATIONS_EXPIRING = "certifications_expiring"
    NO_RECENT_SALES = "no_recent_sales"
    OPEN_COMPLIANCE_VIOLATIONS = "open_compliance_violations"


SignalValue = str | int | None


class HealthSignal(BaseModel):
    """A warning about a partner's performance or standing, with the values it compared."""

    kind: HealthSignalKind
    severity: SignalSeverity
    reason: str = Field(examples=["target attainment 0.62 in 2026-Q3 is under the threshold 0.8"])
    values: dict[str, SignalValue] = Field(
        description="The values compared (decimals as strings, dates ISO), e.g. `actual` and `threshold`.",
        examples=[{"period": "2026-Q3", "actual": "0.62", "threshold": "0.8"}],
    )


class HealthOut(BaseModel):
    """A partner's health as of a day: the signals that fire and the worst severity among them."""

    level: HealthLevel
    signals: list[HealthSignal] = Field(description="Most severe first.")
    as_of: IsoDate
    periods: list[str] = Field(
        description="The periods KPI signals compared: the last complete one, then the one before.",
        examples=[["2026-Q3", "2026-Q2"]],
    )
    unavailable: list[str] = Field(
        description="Facts that could not be read, so the signals built on them were not checked.",
        examples=[["kpis 2026-Q2: no KPI snapshot"]],
    )


class PartnerDimensions(BaseModel):
    """The registry's facts about a partner that lists filter by, as of the last refresh."""

    partner_type: str
    status: str
    tier: str | None
    country: str
    region: str | None


class TierAction(StrEnum):
    PROMOTE = "promote"
    KEEP = "keep"
    DEMOTE = "demote"


class RequirementStatus(StrEnum):
    MET = "met"
    UNMET = "unmet"
    UNVERIFIED = "unverified"  # a named criterion: no data says whether it holds; a person confirms it


class RequirementCheck(BaseModel):
    """One requirement of a tier checked against the partner: what it asks, what the partner has, and the
    shortfall (amounts rounded up to the cent, so "that much more" is always enough)."""

    requirement: str = Field(
        description="`min_trailing_12m_revenue`, `min_certified_staff`, or `criterion` (a named one).",
        examples=["min_trailing_12m_revenue"],
    )
    name: str | None = Field(default=None, description="The named criterion's name.")
    status: RequirementStatus
    required: Money | int | None = None
    actual: Money | int | None = Field(default=None, description="Null when it could not be read.")
    shortfall: Money | int | None = Field(default=None, description="Null unless `unmet` and measurable.")
    text: str = Field(examples=["120000.00 EUR more trailing-12-month revenue"])
    failing_since: IsoDate | None = Field(
        default=None,
        description="For the partner's current tier: the first day the requirement was seen failing.",
    )


class TierGap(BaseModel):
    """What the partner lacks for the tier above its current one."""

    next_tier: str | None = Field(description="Null at the top of the ladder.", examples=["gold"])
    unmet: list[RequirementCheck]
    to_confirm: list[str] = Field(
        description="Named criteria of the next tier, which a person confirms.",
        examples=[["Joint business plan"]],
    )
    summary: str = Field(
        examples=["120000.00 EUR more trailing-12-month revenue; 1 more certified staff member"]
    )


class TierStanding(BaseModel):
    """The partner against the tier ladder: the recommendation, the gap to the next tier, demotion risk."""

    current_tier: str | None
    recommended_tier: str | None
    action: TierAction
    recommendation_id: UUID | None = Field(
        description="The open (or applied) recommendation it is stored as."
    )
    reasons: list[str]
    gap: TierGap
    demotion_risk: list[RequirementCheck] = Field(
        description="Requirements of the current tier the partner fails, each with `failing_since`."
    )
    trailing_12m_revenue: Money | None
    certified_staff: int | None
    as_of: IsoDate


class PartnerScoreOut(BaseModel):
    """What internal systems read about a partner: its evaluation score, health and tier standing.

    Precomputed: refreshed when an event says something it depends on changed, so reading it asks no one."""

    partner_id: UUID
    partner: PartnerDimensions | None = Field(description="Null until the registry was read for it.")
    evaluation: EvaluationSummary | None = Field(description="Null when the partner was never assessed.")
    health: HealthOut | None = Field(description="Null until its facts were read.")
    tier: TierStanding | None = Field(description="Null until its facts were read.")
    computed_at: AwareDatetime = Field(
        description="When this answer last changed (its ETag changed with it)."
    )


class ScoreBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_ids: list[UUID] = Field(min_length=1, max_length=MAX_SCORE_BATCH)


class ScoreSummary(BaseModel):
    """A partner's score in brief, as a batch answers it (about a third of the full answer's size); the
    explanation (dimensions, signals' reasons, the gap's requirements one by one) is
    `GET /v1/scores/partners/{id}`."""

    total: DecimalString | None = Field(
        description="The latest evaluation's total, 0 to 100; null when never assessed or incomplete.",
        examples=["72.50"],
    )
    grade: str | None = Field(examples=["B"])
    model: str | None = Field(
        description="The evaluation model that produced it.", examples=["partner-evaluation"]
    )
    model_version: int | None
    health: HealthLevel | None = Field(description="Null until the partner's facts were read.")
    signals: list[HealthSignalKind] = Field(description="The health signals that fire, most severe first.")
    current_tier: str | None = Field(examples=["silver"])
    recommended_tier: str | None = Field(examples=["gold"])
    tier_action: TierAction | None
    tier_gap: str | None = Field(
        description="The gap to the next tier in words; null until the partner's facts were read.",
        examples=["120000.00 EUR more trailing-12-month revenue; 1 more certified staff member"],
    )
    computed_at: AwareDatetime = Field(description="When the full answer last changed.")
    version: int = Field(description="The full answer's version: its ETag on `GET /v1/scores/partners/{id}`.")


class ScoreBatchItem(BaseModel):
    """One asked id: its score in brief, or why there is none."""

    partner_id: UUID
    found: bool
    score: ScoreSummary | None
    detail: str | None = Field(default=None, examples=["no score for this partner"])


class ScoreBatchOut(BaseModel):
    items: list[ScoreBatchItem] = Field(description="One per asked id, in the order asked.")


class PartnerHealthOut(BaseModel):
    """A partner at risk: its health and the dimensions lists filter by."""

    partner_id: UUID
    partner: PartnerDimensions | None
    health: HealthOut


# --- tier recommendations ----------------------------------------------------------------------------------


class TierRecommendationStatus(StrEnum):
    OPEN = "open"
    APPLIED = "applied"
    SUPERSEDED = "superseded"  # a later refresh recommended something else


class TierRecommendationOut(BaseModel):
    id: UUID
    partner_id: UUID
    current_tier: str | None = Field(examples=["silver"])
    recommended_tier: str | None = Field(examples=["gold"])
    action: TierAction
    reasons: list[str] = Field(
        examples=[["meets every measured requirement of gold: 6 certified staff meets 5"]]
    )
    gap: TierGap
    demotion_risk: list[RequirementCheck]
    trailing_12m_revenue: Money | None
    certified_staff: int | None
    status: TierRecommendationStatus
    applied_by: str | None = Field(
        description="Who applied it (the principal's subject).", examples=["user:cm-anna"]
    )
    applied_at: AwareDatetime | None
    tier_change_id: UUID | None = Field(description="The registry's tier change that carried it out.")
    version: int
    created_at: AwareDatetime
    updated_at: AwareDatetime


class TierRecommendationRunIn(BaseModel):
    """Recompute the recommendations of these partners, or of every partner scoring knows."""

    model_config = ConfigDict(extra="forbid")

    partner_ids: list[UUID] | None = Field(default=None, min_length=1, max_length=MAX_SCORE_BATCH)


class TierRecommendationRunOut(BaseModel):
    queued: int = Field(description="How many partners were queued for a refresh.")
    requested_at: AwareDatetime


class TierRecommendationApplicationIn(BaseModel):
    """Carry out open recommendations through the registry's tier change."""

    model_config = ConfigDict(extra="forbid")

    recommendation_ids: list[UUID] = Field(min_length=1, max_length=100)
    note: Annotated[str, StringConstraints(min_length=1, max_length=1000), NOT_BLANK] | None = None


class TierRecommendationApplicationItem(BaseModel):
    recommendation_id: UUID
    applied: bool
    tier_change_id: UUID | None
    detail: str | None = Field(description="Why it was not applied.")


class TierRecommendationApplicationOut(BaseModel):
    items: list[TierRecommendationApplicationItem] = Field(description="One per id, in the order sent.")

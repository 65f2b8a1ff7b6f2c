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
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, WithJsonSchema

from prm_contracts.money import Money
from prm_contracts.partners import PartnerType, Specialisations

PREQUALIFICATION_PATH = "/internal/prequalifications"
APPLICATION_EVALUATION_PATH = "/internal/application-evaluations"

DECIMAL_PATTERN = r"^-?[0-9]{1,9}(\.[0-9]{1,6})?$"
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
    questionnaire: dict[str, Any] = Field(
        default_factory=dict, description="The answers to the pre-qualification questionnaire."
    )


class PrequalificationRequest(BaseModel):
    """Body of `POST /internal/prequalifications`."""

    applicant: ApplicantFacts


class GateResult(BaseModel):
    """One minimum requirement and whether the applicant meets it."""

    gate: str = Field(examples=["min_employees"])
    passed: bool
    detail: str | None = Field(default=None, examples=["12 employees, at least 10 required"])


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
    contribution: DecimalString = Field(description="weight * score: its part of the total.")


class ApplicationEvaluation(BaseModel):
    """Answer of `POST /internal/application-evaluations`."""

    score: DecimalString = Field(description="The weighted total, 0 to 100.")
    grade: str | None = Field(default=None, examples=["B"])
    criteria: list[CriterionScore] = Field(default_factory=list)
    model_version: str

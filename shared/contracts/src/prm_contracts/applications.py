"""Partner applications (onboarding) as they cross boundaries: the registry's API bodies and events.

An application registers the applicant as a partner in status `applied` and records what scoring said
about it: the pre-qualification gates and the evaluation score (see `prm_contracts.scoring`).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from prm_contracts.json_values import JsonObject
from prm_contracts.partners import (
    REGISTRATION_NUMBER_RULE,
    AnnualRevenue,
    CountryCode,
    EmployeeCount,
    Name,
    PartnerType,
    Region,
    RegistrationNumber,
    Segments,
    Specialisations,
    WebsiteDomain,
    YearFounded,
)
from prm_contracts.scoring import ApplicationEvaluation, PrequalificationResult

PARTNER_APPLICATION_SUBMITTED = "partner_application.submitted"
PARTNER_APPLICATION_SCREENED = "partner_application.screened"
PARTNER_APPLICATION_APPROVED = "partner_application.approved"
PARTNER_APPLICATION_REJECTED = "partner_application.rejected"

QUESTIONNAIRE_MAX_BYTES = 32 * 1024
QUESTIONNAIRE_MAX_DEPTH = 5


class ApplicationStatus(StrEnum):
    """submitted → approved (partner moves to onboarding) or rejected (partner is terminated)."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class ScreeningStatus(StrEnum):
    """`pending` until scoring has answered; then `passed` or `failed` by the pre-qualification gates."""

    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def check_questionnaire(value: dict[str, Any]) -> dict[str, Any]:
    """A JSON object of at most 32 KiB (compact UTF-8 JSON), nested at most 5 levels, no blank keys."""
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > QUESTIONNAIRE_MAX_BYTES:
        raise PydanticCustomError(
            "questionnaire_too_large",
            "questionnaire may hold at most {limit} bytes of JSON; this one has {size}",
            {"limit": QUESTIONNAIRE_MAX_BYTES, "size": size},
        )
    if _depth(value) > QUESTIONNAIRE_MAX_DEPTH:
        raise PydanticCustomError(
            "questionnaire_too_deep",
            "questionnaire may nest at most {limit} levels deep",
            {"limit": QUESTIONNAIRE_MAX_DEPTH},
        )
    if any(not key.strip() for key in value):
        raise PydanticCustomError("questionnaire_key", "questionnaire keys may not be blank")
    return value


# JsonObject's check runs first: measuring the size encodes the value, which a lone surrogate fails and which
# writes NaN or Infinity as if JSON had them; refused here, they are a 422, not a 500 once the registry passes
# the answers on to scoring (whose ApplicantFacts checks them too).
Questionnaire = Annotated[
    JsonObject,
    AfterValidator(check_questionnaire),
    Field(
        description="The answers to the pre-qualification questionnaire: a JSON object of at most "
        f"{QUESTIONNAIRE_MAX_BYTES} bytes, nested at most {QUESTIONNAIRE_MAX_DEPTH} levels. Scoring reads it.",
        examples=[{"years_selling_networking": 6, "certified_engineers": 4, "has_support_desk": True}],
    ),
]


class ApplicantCompany(BaseModel):
    """The company facts of an application: the partner fields that matter for the decision."""

    model_config = ConfigDict(extra="forbid")

    legal_name: Name = Field(examples=["Acme Networks GmbH"])
    display_name: Name | None = Field(default=None, description="Defaults to the legal name.")
    partner_type: PartnerType
    country: CountryCode
    registration_number: RegistrationNumber | None = Field(
        default=None,
        description="Unique per country among partners (409 when already registered). "
        f"{REGISTRATION_NUMBER_RULE}",
    )
    region: Region | None = None
    website_domain: WebsiteDomain | None = None
    year_founded: YearFounded | None = None
    employee_count: EmployeeCount | None = None
    annual_revenue: AnnualRevenue = None
    specialisations: Specialisations = Field(default_factory=Specialisations)
    segments_served: Segments = Field(default_factory=list)


class ApplicationIn(BaseModel):
    """An application to become a partner."""

    model_config = ConfigDict(extra="forbid")

    company: ApplicantCompany
    questionnaire: Questionnaire = Field(default_factory=dict)


class ApplicationOut(BaseModel):
    """An application, what scoring said about it and the decision taken on it."""

    id: UUID
    partner_id: UUID = Field(description="The partner registered (in status `applied`) by the application.")
    status: ApplicationStatus
    company: ApplicantCompany = Field(description="The company facts as submitted.")
    questionnaire: dict[str, Any]
    screening_status: ScreeningStatus
    screening_attempts: int = Field(description="How often scoring was asked, successfully or not.")
    screening_error: str | None = Field(
        description="Why the last attempt did not reach a result (while `pending`)."
    )
    screened_at: AwareDatetime | None
    prequalification: PrequalificationResult | None
    evaluation: ApplicationEvaluation | None
    submitted_by: str = Field(description="The subject of the principal that submitted the application.")
    decided_by: str | None
    decided_at: AwareDatetime | None
    decision_reason: str | None = Field(
        description="The rejection reason, or the note given with the approval."
    )
    screening_override_reason: str | None = Field(
        description="Why the application was approved although its screening had not passed."
    )
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime


class PartnerApplicationEvent(BaseModel):
    """Data of every `partner_application.*` event: the application after the change."""

    application: ApplicationOut

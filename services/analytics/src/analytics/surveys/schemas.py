"""Bodies of the survey endpoints."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from prm_contracts.dates import PastOrTodayDate
from prm_contracts.text import NOT_BLANK
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

MAX_RESPONSES_PER_REQUEST = 1000
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=100), NOT_BLANK]
RespondentId = Annotated[str, StringConstraints(min_length=1, max_length=200), NOT_BLANK]


class SurveyResponseIn(BaseModel):
    """One respondent's answer about a partner: an NPS score (0-10), a CSAT score (1-5), or both."""

    model_config = ConfigDict(extra="forbid")

    partner_id: UUID
    survey_id: ExternalId = Field(description="The survey's id in the survey tool.", examples=["nps-2026-q3"])
    respondent_id: RespondentId = Field(
        description="The respondent's id in the survey tool.", examples=["r-81723"]
    )
    # strict: JSON `true`/`false` or "7" are not scores (lax validation would store false as an NPS of 0)
    nps: int | None = Field(
        default=None, ge=0, le=10, strict=True, description="Likelihood to recommend, 0-10."
    )
    csat: int | None = Field(default=None, ge=1, le=5, strict=True, description="Satisfaction, 1-5.")
    responded_on: PastOrTodayDate

    @model_validator(mode="after")
    def _a_score(self) -> SurveyResponseIn:
        if self.nps is None and self.csat is None:
            raise PydanticCustomError("score_missing", "give nps, csat or both")
        return self


class SurveyResponsesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    responses: list[SurveyResponseIn] = Field(min_length=1, max_length=MAX_RESPONSES_PER_REQUEST)


class SurveyResponseOut(BaseModel):
    id: UUID
    partner_id: UUID
    survey_id: str
    respondent_id: str
    nps: int | None
    csat: int | None
    responded_on: date
    created_at: AwareDatetime


class SubmissionOutcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"


class SubmittedResponse(BaseModel):
    index: int = Field(description="The response's position in the request.")
    id: UUID = Field(description="The stored response (the earlier one for a duplicate).")
    outcome: SubmissionOutcome


class SurveySubmissionReport(BaseModel):
    accepted: int
    duplicates: int
    items: list[SubmittedResponse]

"""Certifications as they cross boundaries: a partner's (or one of its people's) certificates.

Scoring reads them for enablement criteria and tier requirements (certified staff). Add fields, never rename
or remove one.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from prm_contracts.dates import IsoDate, PastOrTodayDate
from prm_contracts.patch import Omittable
from prm_contracts.text import NOT_BLANK

Programme = Annotated[str, StringConstraints(min_length=1, max_length=200), NOT_BLANK]
Level = Annotated[str, StringConstraints(min_length=1, max_length=100), NOT_BLANK]


def expiry_after_issue(issued_on: date | None, expires_on: date | None) -> None:
    """A certificate expires strictly after the day it was issued."""
    if issued_on is not None and expires_on is not None and expires_on <= issued_on:
        raise PydanticCustomError(
            "expires_before_issued",
            "expires_on ({expires_on}) must be after issued_on ({issued_on})",
            {"expires_on": str(expires_on), "issued_on": str(issued_on)},
        )


class CertificationIn(BaseModel):
    """A certificate of the partner, or of one of its contacts when `contact_id` is given."""

    model_config = ConfigDict(extra="forbid")

    programme: Programme = Field(examples=["Network Security Specialist"])
    level: Level | None = Field(default=None, examples=["Professional"])
    contact_id: UUID | None = Field(
        default=None, description="The contact (of this partner) who holds it; null for the company."
    )
    issued_on: PastOrTodayDate
    expires_on: IsoDate | None = Field(
        default=None, description="After issued_on; null when it never expires."
    )

    @field_validator("expires_on")
    @classmethod
    def _after_issue(cls, value: date | None, info: ValidationInfo) -> date | None:
        expiry_after_issue(info.data.get("issued_on"), value)
        return value


class CertificationPatch(BaseModel):
    """The fields to change; left out keeps, `null` clears `level`, `contact_id` or `expires_on`. Needs
    `If-Match`."""

    model_config = ConfigDict(extra="forbid")

    programme: Omittable[Programme] = None
    level: Level | None = None
    contact_id: UUID | None = None
    issued_on: Omittable[PastOrTodayDate] = None
    expires_on: IsoDate | None = None


class CertificationOut(BaseModel):
    id: UUID
    partner_id: UUID
    contact_id: UUID | None
    programme: str
    level: str | None
    issued_on: IsoDate
    expires_on: IsoDate | None
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime

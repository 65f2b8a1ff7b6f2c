"""Agreements as they cross boundaries: the contracts a partner works under.

An active partner must have a current agreement: status `active`, `starts_on` today or earlier and
`ends_on` empty or today or later. Add fields, never rename or remove one.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from prm_contracts.dates import IsoDate, PastOrTodayDate
from prm_contracts.patch import Omittable


class AgreementType(StrEnum):
    RESELLER = "reseller"
    DISTRIBUTION = "distribution"
    REFERRAL = "referral"
    MSP = "msp"
    NDA = "nda"
    OTHER = "other"


class AgreementStatus(StrEnum):
    """draft → active → expired | terminated. Expired and terminated are final; a renewal is a new agreement."""

    DRAFT = "draft"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


def end_not_before_start(starts_on: date | None, ends_on: date | None) -> None:
    """An agreement ends on or after the day it starts (both days included)."""
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise PydanticCustomError(
            "ends_before_starts",
            "ends_on ({ends_on}) cannot be before starts_on ({starts_on})",
            {"ends_on": str(ends_on), "starts_on": str(starts_on)},
        )


class AgreementIn(BaseModel):
    """An agreement with the partner, recorded as a `draft` or, once signed, as `active`."""

    model_config = ConfigDict(extra="forbid")

    agreement_type: AgreementType
    status: AgreementStatus = Field(
        default=AgreementStatus.DRAFT,
        description="`draft` or `active`; an active agreement needs `signed_on`.",
    )
    signed_on: PastOrTodayDate | None = Field(default=None, validate_default=True)
    starts_on: IsoDate
    ends_on: IsoDate | None = Field(default=None, description="The last day it applies; null for open-ended.")

    @field_validator("status")
    @classmethod
    def _draft_or_active(cls, value: AgreementStatus) -> AgreementStatus:
        if value not in (AgreementStatus.DRAFT, AgreementStatus.ACTIVE):
            raise PydanticCustomError(
                "agreement_status_at_creation",
                "an agreement is recorded as draft or active; got {value}",
                {"value": value.value},
            )
        return value

    @field_validator("signed_on")
    @classmethod
    def _signed_when_active(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None and info.data.get("status") == AgreementStatus.ACTIVE:
            raise PydanticCustomError("missing", "an active agreement needs the day it was signed")
        return value

    @field_validator("ends_on")
    @classmethod
    def _not_before_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        end_not_before_start(info.data.get("starts_on"), value)
        return value


class AgreementPatch(BaseModel):
    """The fields to change; left out keeps, `null` clears `signed_on` (drafts only) or `ends_on`. Needs
    `If-Match`. `status` moves draft → active → expired | terminated; expired and terminated agreements no
    longer change."""

    model_config = ConfigDict(extra="forbid")

    agreement_type: Omittable[AgreementType] = None
    status: Omittable[AgreementStatus] = None
    signed_on: PastOrTodayDate | None = None
    starts_on: Omittable[IsoDate] = None
    ends_on: IsoDate | None = None


class AgreementOut(BaseModel):
    id: UUID
    partner_id: UUID
    agreement_type: AgreementType
    status: AgreementStatus
    signed_on: IsoDate | None
    starts_on: IsoDate
    ends_on: IsoDate | None
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime

"""Compliance as it crosses boundaries: audits of a partner, policy violations, and the summary of facts
scoring's gates and analytics' compliance KPI read (`GET /v1/partners/{id}/compliance/summary`).

Add fields, never rename or remove one.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
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

Auditor = Annotated[str, StringConstraints(min_length=1, max_length=200), NOT_BLANK]
Policy = Annotated[str, StringConstraints(min_length=1, max_length=200), NOT_BLANK]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000), NOT_BLANK]


class AuditOutcome(StrEnum):
    PASSED = "passed"
    PASSED_WITH_FINDINGS = "passed_with_findings"
    FAILED = "failed"


class ViolationSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ViolationStatus(StrEnum):
    """`open` and `remediating` are open; `resolved` and `waived` are closed and carry `resolved_on`."""

    OPEN = "open"
    REMEDIATING = "remediating"
    RESOLVED = "resolved"
    WAIVED = "waived"


OPEN_VIOLATION_STATUSES = frozenset({ViolationStatus.OPEN, ViolationStatus.REMEDIATING})


def resolved_not_before_opened(opened_on: date | None, resolved_on: date | None) -> None:
    if opened_on is not None and resolved_on is not None and resolved_on < opened_on:
        raise PydanticCustomError(
            "resolved_before_opened",
            "resolved_on ({resolved_on}) cannot be before opened_on ({opened_on})",
            {"resolved_on": str(resolved_on), "opened_on": str(opened_on)},
        )


# --- audits ------------------------------------------------------------------------------------------------


class AuditIn(BaseModel):
    """A compliance audit of the partner that took place."""

    model_config = ConfigDict(extra="forbid")

    audited_on: PastOrTodayDate
    auditor: Auditor = Field(examples=["KPMG Channel Assurance"])
    scope: Text = Field(examples=["Deal registration practices and MDF claims, FY2026"])
    outcome: AuditOutcome
    notes: Text | None = None


class AuditPatch(BaseModel):
    """The fields to change; left out keeps, `null` clears `notes`. Needs `If-Match`."""

    model_config = ConfigDict(extra="forbid")

    audited_on: Omittable[PastOrTodayDate] = None
    auditor: Omittable[Auditor] = None
    scope: Omittable[Text] = None
    outcome: Omittable[AuditOutcome] = None
    notes: Text | None = None


class AuditOut(BaseModel):
    id: UUID
    partner_id: UUID
    audited_on: IsoDate
    auditor: str
    scope: str
    outcome: AuditOutcome
    notes: str | None
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime


# --- violations --------------------------------------------------------------------------------------------


class ViolationIn(BaseModel):
    """A breach of a policy by the partner. Recorded `open` unless said otherwise; a closed one (`resolved`,
    `waived`) gets `resolved_on`, today when not given."""

    model_config = ConfigDict(extra="forbid")

    policy: Policy = Field(examples=["Deal registration policy §4"])
    finding: Text = Field(examples=["Registered deals for customers outside its territory"])
    severity: ViolationSeverity
    opened_on: PastOrTodayDate
    status: ViolationStatus = ViolationStatus.OPEN
    resolved_on: PastOrTodayDate | None = None

    @field_validator("resolved_on")
    @classmethod
    def _fits_status_and_opening(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and info.data.get("status") in OPEN_VIOLATION_STATUSES:
            raise PydanticCustomError(
                "resolved_on_while_open", "only a resolved or waived violation has resolved_on"
            )
        resolved_not_before_opened(info.data.get("opened_on"), value)
        return value


class ViolationPatch(BaseModel):
    """The fields to change; left out keeps. Closing it (`resolved`, `waived`) sets `resolved_on` (today when
    not given); reopening it clears `resolved_on`. Needs `If-Match`."""

    model_config = ConfigDict(extra="forbid")

    policy: Omittable[Policy] = None
    finding: Omittable[Text] = None
    severity: Omittable[ViolationSeverity] = None
    opened_on: Omittable[PastOrTodayDate] = None
    status: Omittable[ViolationStatus] = None
    resolved_on: PastOrTodayDate | None = None


class ViolationOut(BaseModel):
    id: UUID
    partner_id: UUID
    policy: str
    finding: str
    severity: ViolationSeverity
    status: ViolationStatus
    opened_on: IsoDate
    resolved_on: IsoDate | None
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime


# --- the summary -------------------------------------------------------------------------------------------


class SeverityCounts(BaseModel):
    low: int = 0
    medium: int = 0
    high: int = 0
    critical: int = 0


class ViolationStatusCounts(BaseModel):
    open: int = 0
    remediating: int = 0
    resolved: int = 0
    waived: int = 0


class ComplianceSummaryOut(BaseModel):
    """The compliance facts of one partner as of a day: what scoring's gates and analytics' KPI read."""

    partner_id: UUID
    as_of: IsoDate = Field(description="The day (UTC) the facts are for.")
    open_violations: SeverityCounts = Field(description="Violations `open` or `remediating`, by severity.")
    open_violations_total: int
    oldest_open_violation_opened_on: IsoDate | None = Field(
        description="When the longest-open violation was opened; null when none is open."
    )
    violations_by_status: ViolationStatusCounts
    audit_count: int
    last_audit: AuditOut | None = Field(description="The most recent audit by `audited_on`.")
    audits_failed: int = Field(description="Audits with the outcome `failed`.")
    has_current_agreement: bool = Field(
        description="Whether an agreement is active and runs on `as_of` (what a partner needs to be active)."
    )

"""Bodies of the application decision endpoints, list filters, and ORM → contract conversion.

ApplicationIn / ApplicationOut cross service boundaries (in events) and live in `prm_contracts.applications`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from prm_contracts.applications import ApplicantCompany, ApplicationOut, ApplicationStatus, ScreeningStatus
from prm_contracts.scoring import ApplicationEvaluation, PrequalificationResult
from prm_contracts.text import NOT_BLANK
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

if TYPE_CHECKING:
    from partner_registry.applications.models import PartnerApplication

Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000), NOT_BLANK]


class ApprovalIn(BaseModel):
    """Approve an application: its partner moves from applied to onboarding."""

    model_config = ConfigDict(extra="forbid")

    note: Reason | None = Field(default=None, examples=["Strong security practice; fills a gap in Bavaria"])
    screening_override_reason: Reason | None = Field(
        default=None,
        description="Needed to approve an application whose screening is pending or failed: why the "
        "decision is taken without (or against) the pre-qualification gates.",
    )


class RejectionIn(BaseModel):
    """Reject an application: its partner, still applied, is terminated with the reason."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(examples=["Does not meet the minimum revenue for resellers"])


@dataclass(frozen=True)
class ApplicationFilters:
    statuses: list[ApplicationStatus] = field(default_factory=list)
    screening_statuses: list[ScreeningStatus] = field(default_factory=list)


def application_out(application: PartnerApplication) -> ApplicationOut:
    return ApplicationOut(
        id=application.id,
        partner_id=application.partner_id,
        status=ApplicationStatus(application.status),
        company=ApplicantCompany.model_validate(application.company),
        questionnaire=application.questionnaire,
        screening_status=ScreeningStatus(application.screening_status),
        screening_attempts=application.screening_attempts,
        screening_error=application.screening_error,
        screened_at=application.screened_at,
        prequalification=PrequalificationResult.model_validate(application.prequalification)
        if application.prequalification is not None
        else None,
        evaluation=ApplicationEvaluation.model_validate(application.evaluation)
        if application.evaluation is not None
        else None,
        submitted_by=application.submitted_by,
        decided_by=application.decided_by,
        decided_at=application.decided_at,
        decision_reason=application.decision_reason,
        screening_override_reason=application.screening_override_reason,
        version=application.version,
        created_at=application.created_at,
        updated_at=application.updated_at,
    )

"""Market development funds (MDF) as they cross boundaries: budgets, allocations per partner, fund requests,
claims, and the `mdf_claim.decided` event.

A budget (one currency, one period, optionally tied to a programme) is split into allocations per partner;
a partner requests funds for an activity against its allocation, and after approval claims what it spent,
with proof; an approved claim is paid. What children hold never exceeds their parent: allocations ≤ budget,
pending + approved requests ≤ allocation (a pending request reserves its amount), pending + approved + paid
claims ≤ the approved request. ROI fields (leads, pipeline, revenue attributed) travel on requests (expected)
and claims (actual) and in the event, for analytics.

Money is `{"amount": "1234.50", "currency": "EUR"}`; JSON numbers are refused. Add fields, never rename or
remove one.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from prm_contracts.counts import WHOLE_NUMBER
from prm_contracts.dates import IsoDate
from prm_contracts.money import Money
from prm_contracts.periods import PeriodLabel
from prm_contracts.text import NOT_BLANK, SINGLE_LINE

MDF_CLAIM_DECIDED = "mdf_claim.decided"
MAX_LEADS = 10_000_000
Leads = Annotated[int, Field(ge=0, le=MAX_LEADS, strict=True), WHOLE_NUMBER]

Name = Annotated[str, StringConstraints(min_length=1, max_length=200), NOT_BLANK, SINGLE_LINE]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=500), NOT_BLANK, SINGLE_LINE]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000), NOT_BLANK]


class MdfRequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class MdfClaimStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"


class MdfDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


def _positive(money: Money, field: str) -> None:
    if money.amount <= 0:
        raise PydanticCustomError(
            "amount_not_positive",
            "{field} must be greater than 0, got {amount}",
            {"field": field, "amount": str(money.amount)},
        )


def _not_negative(money: Money | None, field: str) -> None:
    if money is not None and money.amount < 0:
        raise PydanticCustomError(
            "amount_negative",
            "{field} must not be negative, got {amount}",
            {"field": field, "amount": str(money.amount)},
        )


class MdfRoi(BaseModel):
    """What an activity brings (expected on a request, actual on a claim): leads, pipeline opened and revenue
    attributed to it."""

    model_config = ConfigDict(extra="forbid")

    leads: Leads | None = None
    pipeline: Money | None = None
    revenue_attributed: Money | None = None

    @model_validator(mode="after")
    def _amounts_not_negative(self) -> Self:
        _not_negative(self.pipeline, "pipeline")
        _not_negative(self.revenue_attributed, "revenue_attributed")
        return self


class MdfBudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["EMEA field marketing 2026-Q3"])
    period: PeriodLabel = Field(description="The period the funds are for: `2026`, `2026-Q3` or `2026-07`.")
    amount: Money = Field(description="The funds; its currency is the budget's. Greater than 0.")
    programme_id: UUID | None = Field(
        default=None, description="The programme the budget belongs to; none for a programme-independent one."
    )
    description: Text | None = Field(default=None, examples=["Co-marketing funds for EMEA resellers"])

    @model_validator(mode="after")
    def _amount_positive(self) -> Self:
        _positive(self.amount, "amount")
        return self


class MdfBudgetOut(BaseModel):
    id: UUID
    name: str
    programme_id: UUID | None
    period: str
    first_day: date
    last_day: date
    amount: Money
    allocated: Money = Field(description="What the allocations carved from it hold (accruals not included).")
    unallocated: Money
    description: str | None
    created_by: str
    created_at: AwareDatetime
    version: int


class MdfAllocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_id: UUID
    amount: Money = Field(description="Carved from the budget's unallocated funds; the budget's currency.")

    @model_validator(mode="after")
    def _amount_positive(self) -> Self:
        _positive(self.amount, "amount")
        return self


class MdfAllocationOut(BaseModel):
    id: UUID
    budget_id: UUID
    partner_id: UUID
    period: str
    allocated: Money = Field(description="Carved from the budget.")
    accrued: Money = Field(description="Added by approved calculation runs (`mdf_accrual` rules).")
    available: Money = Field(description="allocated + accrued.")
    reserved: Money = Field(description="Planned amounts of pending and approved requests.")
    remaining: Money = Field(description="available - reserved: what a new request may ask for at most.")
    created_at: AwareDatetime
    version: int


class MdfRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allocation_id: UUID
    activity: Name = Field(examples=["Joint webinar series on cloud migration"])
    planned_amount: Money = Field(description="In the budget's currency; greater than 0.")
    starts_on: IsoDate
    ends_on: IsoDate
    expected_outcome: Text = Field(examples=["40 qualified leads and 5 opportunities"])
    expected_roi: MdfRoi | None = None
    description: Text | None = Field(
        default=None, examples=["Three webinars with the vendor's solution architects"]
    )

    @model_validator(mode="after")
    def _valid(self) -> Self:
        _positive(self.planned_amount, "planned_amount")
        if self.ends_on < self.starts_on:
            raise PydanticCustomError(
                "dates_reversed",
                "ends_on ({ends}) is before starts_on ({starts})",
                {"ends": str(self.ends_on), "starts": str(self.starts_on)},
            )
        return self


class MdfDecisionIn(BaseModel):
    """Approve or reject; a rejection says why."""

    model_config = ConfigDict(extra="forbid")

    decision: MdfDecision
    reason: Text | None = Field(default=None, examples=["Fits the regional marketing plan"])

    @model_validator(mode="after")
    def _rejection_has_reason(self) -> Self:
        if self.decision is MdfDecision.REJECTED and self.reason is None:
            raise PydanticCustomError("reason_missing", "a rejection needs a reason")
        return self


class MdfRequestOut(BaseModel):
    id: UUID
    allocation_id: UUID
    budget_id: UUID
    partner_id: UUID
    activity: str
    description: str | None
    planned_amount: Money
    starts_on: date
    ends_on: date
    expected_outcome: str
    expected_roi: MdfRoi | None
    status: MdfRequestStatus
    claimed: Money = Field(description="Amounts of its pending, approved and paid claims.")
    unclaimed: Money = Field(description="What claims may still ask for (0 unless approved).")
    submitted_by: str
    submitted_at: AwareDatetime
    decided_by: str | None
    decided_at: AwareDatetime | None
    decision_reason: str | None = Field(examples=["Fits the regional marketing plan"])
    version: int


class MdfClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Money = Field(description="What the activity actually cost, in the budget's currency; > 0.")
    proof_reference: Reference = Field(
        description="Where the proof is (invoice number, document link).", examples=["INV-2026-0042"]
    )
    roi: MdfRoi | None = Field(default=None, description="What the activity actually brought.")
    description: Text | None = Field(default=None, examples=["Three webinars held, 212 attendees"])

    @model_validator(mode="after")
    def _amount_positive(self) -> Self:
        _positive(self.amount, "amount")
        return self


class MdfClaimPaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_reference: Reference = Field(examples=["SEPA-2026-10-0007"])


class MdfClaimOut(BaseModel):
    id: UUID
    request_id: UUID
    allocation_id: UUID
    partner_id: UUID
    amount: Money
    proof_reference: str
    description: str | None
    roi: MdfRoi | None
    status: MdfClaimStatus
    submitted_by: str
    submitted_at: AwareDatetime
    decided_by: str | None
    decided_at: AwareDatetime | None
    decision_reason: str | None = Field(examples=["Proof matches the approved activity"])
    paid_by: str | None
    paid_at: AwareDatetime | None
    payment_reference: str | None = Field(examples=["SEPA-2026-10-0007"])
    version: int


class MdfClaimDecided(BaseModel):
    """Data of `mdf_claim.decided`: a claim approved (to be paid) or rejected, with its activity's ROI, for
    analytics' incentive ROI and partner notifications."""

    claim_id: UUID
    request_id: UUID
    budget_id: UUID
    programme_id: UUID | None
    partner_id: UUID
    period: str
    decision: MdfDecision
    amount: Money
    activity: str = Field(examples=["Joint webinar series on cloud migration"])
    roi: MdfRoi | None
    reason: str | None = Field(examples=["Proof matches the approved activity"])
    decided_by: str
    decided_at: AwareDatetime

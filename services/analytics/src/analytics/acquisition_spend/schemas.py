"""Bodies of the acquisition-spend endpoints."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from prm_contracts.money import Money
from prm_contracts.periods import PeriodKind
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError


class AcquisitionSpendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spend: Money = Field(
        description="What acquiring new customers through the partner cost in the period (the numerator of "
        "customer acquisition cost).",
        examples=[{"amount": "18000.00", "currency": "EUR"}],
    )

    @model_validator(mode="after")
    def _not_negative(self) -> AcquisitionSpendIn:
        if self.spend.amount < 0:
            raise PydanticCustomError("negative_amount", "spend cannot be negative")
        return self


class AcquisitionSpendOut(BaseModel):
    id: UUID
    partner_id: UUID
    period: str
    period_kind: PeriodKind
    first_day: date
    last_day: date
    spend: Money
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime

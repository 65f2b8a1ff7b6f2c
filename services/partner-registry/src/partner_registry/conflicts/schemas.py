"""Bodies of the conflict-case step and statistics endpoints, list filters, and ORM → contract conversion.

ConflictCaseIn / ConflictCasePatch / ConflictCaseOut cross service boundaries (in events) and live in
`prm_contracts.conflicts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from prm_contracts.conflicts import (
    VENDOR_DIRECT,
    ConflictCaseOut,
    ConflictStage,
    ConflictType,
    Party,
    Resolution,
    ResolutionIn,
    RootCause,
)
from prm_contracts.text import NOT_BLANK
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from partner_registry.conflicts.models import StepKind

if TYPE_CHECKING:
    from partner_registry.conflicts.models import ConflictCase, ConflictCaseStep


Notes = Annotated[str, StringConstraints(min_length=1, max_length=10_000), NOT_BLANK]


class StepIn(BaseModel):
    """A step of a case: a move to a later stage (`to_stage`, with optional notes), or a note alone.

    A move to `ruled`, or to `closed` without a ruling, needs the `resolution`. A partner's own credential
    may add notes to a case it is a party to, but not move it.
    """

    model_config = ConfigDict(extra="forbid")

    to_stage: ConflictStage | None = None
    notes: Notes | None = Field(default=None, examples=["Both partners heard; mediation call on Monday"])
    resolution: ResolutionIn | None = None

    @model_validator(mode="after")
    def _a_step_does_something(self) -> StepIn:
        if self.to_stage is None and self.notes is None:
            raise PydanticCustomError("step_empty", "a step needs a to_stage, notes or both")
        if self.to_stage is None and self.resolution is not None:
            raise PydanticCustomError(
                "resolution_without_move", "a resolution is recorded only with a move to ruled or closed"
            )
        return self


class StepOut(BaseModel):
    """One step of a case: who, when, the move (if any), the notes, and the resolution recorded with it."""

    id: UUID
    case_id: UUID
    kind: StepKind
    from_stage: ConflictStage | None
    to_stage: ConflictStage | None
    notes: str | None
    actor: str = Field(description="The subject of the principal who took the step.")
    occurred_at: AwareDatetime
    case_version: int = Field(description="The case's version after the step.")
    resolution: Resolution | None = Field(default=None, description="Set on the step that recorded it.")


class RecordedStepOut(StepOut):
    """A step just taken, and the case after it."""

    case: ConflictCaseOut


@dataclass(frozen=True)
class CaseFilters:
    stages: list[ConflictStage] = field(default_factory=list)
    conflict_types: list[ConflictType] = field(default_factory=list)
    party: UUID | None = None


# --- statistics --------------------------------------------------------------------------------------------

ExactSeconds = Annotated[
    Decimal,
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,7})?$", "examples": ["183600.5"]}),
]


class MonthCounts(BaseModel):
    """Cases reported in one calendar month (UTC), by type and by root cause (a case may have several)."""

    month: str = Field(examples=["2026-07"])
    reported: int
    by_type: dict[ConflictType, int]
    by_root_cause: dict[RootCause, int]


class TimeToResolution(BaseModel):
    """reported → closed, over the cases closed within the period."""

    resolved: int = Field(description="How many cases were closed within the period.")
    median_seconds: ExactSeconds | None = Field(
        description="The exact median (the mean of the middle two for an even count); null when none."
    )


class OpenCasesByAge(BaseModel):
    """Cases open (reported, not closed) at `as_of`, by whole days since they were reported."""

    as_of: AwareDatetime = Field(description="The end of the period, or now when that is earlier.")
    days_0_7: int
    days_8_30: int
    days_31_90: int
    days_over_90: int


class ConflictStatistics(BaseModel):
    """How often and why conflicts happen, how fast they are resolved, and how old the open ones are."""

    period: str | None = Field(description="The period asked for (`2026-Q3`, `2026-07`), if one was.")
    from_date: date = Field(description="First day of the period (UTC).")
    to_date: date = Field(description="Last day of the period (UTC), inclusive.")
    reported: int
    by_type: dict[ConflictType, int]
    by_root_cause: dict[RootCause, int]
    months: list[MonthCounts]
    time_to_resolution: TimeToResolution
    open_by_age: OpenCasesByAge


# --- conversion --------------------------------------------------------------------------------------------


def parties_of(case: ConflictCase) -> list[Party]:
    parties: list[Party] = [party.partner_id for party in case.parties]
    if case.vendor_direct:
        parties.append(VENDOR_DIRECT)
    return parties


def _party(value: str) -> Party:
    return VENDOR_DIRECT if value == VENDOR_DIRECT else UUID(value)


def _resolution_fields(case: Any) -> dict[str, Any] | None:
    if case.ruling is None or case.outcome is None or case.decided_by is None or case.decided_at is None:
        return None
    return {
        "ruling": case.ruling,
        "outcome": case.outcome,
        "awarded_to": _party(case.awarded_to) if case.awarded_to else None,
        "decided_by": case.decided_by,
        "decided_at": case.decided_at,
    }


def _case_fields(case: Any, parties: list[Any], root_causes: list[dict[str, Any]]) -> dict[str, Any]:
    """ConflictCaseOut's fields of an entity or a row with its columns."""
    return {
        "id": case.id,
        "conflict_type": case.conflict_type,
        "stage": case.stage,
        "parties": parties,
        "description": case.description,
        "deal_registration_ids": [UUID(i) for i in case.deal_registration_ids],
        "territory_ids": [UUID(i) for i in case.territory_ids],
        "root_causes": root_causes,
        "resolution": _resolution_fields(case),
        "reported_by": case.reported_by,
        "reported_at": case.reported_at,
        "stage_changed_at": case.stage_changed_at,
        "closed_at": case.closed_at,
        "version": case.version,
        "updated_at": case.updated_at,
    }


def case_out(case: ConflictCase) -> ConflictCaseOut:
    causes = [{"cause": r.cause, "detail": r.detail} for r in case.root_causes]
    return ConflictCaseOut.model_validate(_case_fields(case, parties_of(case), causes))


def case_item(row: Any) -> dict[str, Any]:
    """ConflictCaseOut's fields of a list row (`repository.case_page`), validated with the page: the
    partners in the order they were named, then the vendor's direct sales."""
    parties: list[Any] = [UUID(partner) for _, partner in sorted(row.parties or ())]
    if row.vendor_direct:
        parties.append(VENDOR_DIRECT)
    causes = [{"cause": cause, "detail": detail} for _, cause, detail in sorted(row.root_causes or ())]
    return _case_fields(row, parties, causes)


def step_out(step: ConflictCaseStep) -> StepOut:
    details: dict[str, Any] = step.details
    resolution = details.get("resolution")
    return StepOut(
        id=step.id,
        case_id=step.case_id,
        kind=StepKind(step.kind),
        from_stage=ConflictStage(step.from_stage) if step.from_stage else None,
        to_stage=ConflictStage(step.to_stage) if step.to_stage else None,
        notes=step.notes,
        actor=step.actor,
        occurred_at=step.occurred_at,
        case_version=step.case_version,
        resolution=Resolution.model_validate(resolution) if resolution else None,
    )

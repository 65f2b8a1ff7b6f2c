"""Channel-conflict cases as they cross boundaries: the registry's API bodies and the `conflict_case.*` events.

A case names the parties in conflict (partners, and possibly the vendor's direct sales), the deal
registrations and territories involved, its root causes, and moves forward through
`reported → under_review → mediation → arbitration → ruled → closed` until a resolution is recorded.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from prm_contracts.partners import Name
from prm_contracts.patch import Omittable
from prm_contracts.text import NOT_BLANK

CONFLICT_CASE_OPENED = "conflict_case.opened"
CONFLICT_CASE_UPDATED = "conflict_case.updated"
CONFLICT_CASE_STAGE_CHANGED = "conflict_case.stage_changed"

VENDOR_DIRECT: Literal["vendor_direct"] = "vendor_direct"
MAX_PARTIES = 20
MAX_LINKED_IDS = 100


class ConflictType(StrEnum):
    """vertical: between levels of one channel (distributor vs reseller); horizontal: between partners of
    one level; multichannel: between channels (partner vs vendor direct, online); role: unclear roles."""

    VERTICAL = "vertical"
    HORIZONTAL = "horizontal"
    MULTICHANNEL = "multichannel"
    ROLE = "role"


class ConflictStage(StrEnum):
    """reported → under_review → mediation → arbitration → ruled → closed; forward only, skipping allowed."""

    REPORTED = "reported"
    UNDER_REVIEW = "under_review"
    MEDIATION = "mediation"
    ARBITRATION = "arbitration"
    RULED = "ruled"
    CLOSED = "closed"


class RootCause(StrEnum):
    PRODUCT_OVERLAP = "product_overlap"
    TERRITORY_OVERLAP = "territory_overlap"
    PRICING = "pricing"
    INCENTIVE_MISALIGNMENT = "incentive_misalignment"
    DIRECT_SALES_OVERLAP = "direct_sales_overlap"
    ROLE_AMBIGUITY = "role_ambiguity"
    OTHER = "other"


class ConflictOutcome(StrEnum):
    """awarded: to one party (`awarded_to`); shared: split between parties; settled: the parties agreed;
    dismissed: no conflict found; withdrawn: the reporter withdrew."""

    AWARDED = "awarded"
    SHARED = "shared"
    SETTLED = "settled"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"


Party = Annotated[
    UUID | Literal["vendor_direct"],
    Field(description='A partner id, or `"vendor_direct"` for the vendor\'s own direct sales.'),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000), NOT_BLANK]
CauseDetail = Annotated[str, StringConstraints(min_length=1, max_length=2000), NOT_BLANK]


def _distinct_parties(parties: list[UUID | str]) -> list[UUID | str]:
    if len(set(parties)) != len(parties):
        raise PydanticCustomError("parties_repeated", "each party may be named only once")
    if len(parties) < 2:
        raise PydanticCustomError("parties_too_few", "a conflict needs at least two parties")
    if not any(isinstance(party, UUID) for party in parties):
        raise PydanticCustomError("parties_no_partner", "at least one party must be a partner")
    return parties


Parties = Annotated[list[Party], Field(max_length=MAX_PARTIES), AfterValidator(_distinct_parties)]


def _distinct_ids(ids: list[UUID]) -> list[UUID]:
    return list(dict.fromkeys(ids))


LinkedIds = Annotated[list[UUID], Field(max_length=MAX_LINKED_IDS), AfterValidator(_distinct_ids)]


class RootCauseTag(BaseModel):
    """A root cause of the conflict; `other` needs a `detail` saying what it is."""

    model_config = ConfigDict(extra="forbid")

    cause: RootCause
    detail: CauseDetail | None = Field(default=None, examples=["reseller undercut the list price by 30 %"])

    @model_validator(mode="after")
    def _other_needs_detail(self) -> RootCauseTag:
        if self.cause == RootCause.OTHER and self.detail is None:
            raise PydanticCustomError(
                "detail_missing", "a root cause `other` needs a detail saying what it is"
            )
        return self


def _distinct_causes(tags: list[RootCauseTag]) -> list[RootCauseTag]:
    if len({tag.cause for tag in tags}) != len(tags):
        raise PydanticCustomError("root_cause_repeated", "each root cause may be tagged only once")
    return tags


RootCauses = Annotated[list[RootCauseTag], Field(max_length=len(RootCause)), AfterValidator(_distinct_causes)]


class ConflictCaseIn(BaseModel):
    """A channel conflict to open as a case (stage `reported`)."""

    model_config = ConfigDict(extra="forbid")

    conflict_type: ConflictType
    parties: Parties
    description: Text = Field(
        examples=["Both partners quoted the same hospital tender for the same firewall"]
    )
    deal_registration_ids: LinkedIds = Field(default_factory=list)
    territory_ids: LinkedIds = Field(default_factory=list)
    root_causes: RootCauses = Field(default_factory=list)


class ConflictCasePatch(BaseModel):
    """The fields to change; a field left out keeps its value; a list sent replaces the list. Needs `If-Match`."""

    model_config = ConfigDict(extra="forbid")

    description: Omittable[Text] = None
    deal_registration_ids: Omittable[LinkedIds] = None
    territory_ids: Omittable[LinkedIds] = None
    root_causes: Omittable[RootCauses] = None


class ResolutionIn(BaseModel):
    """How the case was decided; needed when a case moves to `ruled`, or to `closed` without a ruling."""

    model_config = ConfigDict(extra="forbid")

    ruling: Text = Field(examples=["The deal stays with the partner whose registration was approved first."])
    outcome: ConflictOutcome
    awarded_to: Party | None = Field(default=None, description="The party the case was awarded to.")
    decided_by: Name | None = Field(
        default=None,
        description="Who decided (an arbitrator, the channel council); defaults to the caller's subject.",
    )

    @model_validator(mode="after")
    def _awarded_needs_a_party(self) -> ResolutionIn:
        if (self.outcome == ConflictOutcome.AWARDED) != (self.awarded_to is not None):
            raise PydanticCustomError(
                "awarded_to", "awarded_to is required with the outcome `awarded` and only with it"
            )
        return self


class Resolution(BaseModel):
    ruling: str
    outcome: ConflictOutcome
    awarded_to: Party | None
    decided_by: str
    decided_at: AwareDatetime


class ConflictCaseOut(BaseModel):
    """A conflict case as the registry holds it."""

    id: UUID
    conflict_type: ConflictType
    stage: ConflictStage
    parties: list[Party]
    description: str
    deal_registration_ids: list[UUID]
    territory_ids: list[UUID]
    root_causes: list[RootCauseTag]
    resolution: Resolution | None
    reported_by: str = Field(description="The subject of the principal that opened the case.")
    reported_at: AwareDatetime
    stage_changed_at: AwareDatetime
    closed_at: AwareDatetime | None
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    updated_at: AwareDatetime


class ConflictCaseOpened(BaseModel):
    """Data of `conflict_case.opened`."""

    case: ConflictCaseOut


class ConflictCaseUpdated(BaseModel):
    """Data of `conflict_case.updated`: the case after the change and the names of the fields changed."""

    case: ConflictCaseOut
    changed_fields: list[str]


class ConflictCaseStageChanged(BaseModel):
    """Data of `conflict_case.stage_changed`."""

    case_id: UUID
    from_stage: ConflictStage
    to_stage: ConflictStage
    changed_by: str
    changed_at: AwareDatetime
    case: ConflictCaseOut

"""Tiers as they cross boundaries: the tier ladder, a partner's tier changes and `partner.tier_changed`.

Incentives reads a tier's benefit hints (`discount_percent`, `rebate_percent`) and follows tier changes by
the event; scoring reads the requirements to recommend tiers and applies a recommendation through
`TierChangeIn` with `source: "scoring_recommendation"`. Add fields, never rename or remove one.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from prm_contracts.dates import IsoDate, PastOrTodayDate
from prm_contracts.money import Money
from prm_contracts.patch import Omittable
from prm_contracts.text import NOT_BLANK, STRIPPED

PARTNER_TIER_CHANGED = "partner.tier_changed"

MAX_CRITERIA = 20

# An identifier, taken exactly as sent (no stripping), so the document's pattern is the whole rule.
TIER_KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
TierKeyValue = Annotated[str, StringConstraints(pattern=TIER_KEY_PATTERN)]
TierName = Annotated[str, StringConstraints(min_length=1, max_length=100), NOT_BLANK]
CriterionName = Annotated[str, StringConstraints(min_length=1, max_length=100), NOT_BLANK]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000), NOT_BLANK]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000), NOT_BLANK]

# --- percentages -------------------------------------------------------------------------------------------

PERCENT_PATTERN = r"^[0-9]{1,3}(\.[0-9]{1,4})?$"
_PERCENT_RE = re.compile(PERCENT_PATTERN)


def parse_percent(value: Any) -> Decimal:
    """A decimal string from "0" to "100" with up to 4 decimals; JSON numbers are refused, as for money."""
    if isinstance(value, Decimal) and value.is_finite():
        value = format(value, "f")
    if not isinstance(value, str) or not _PERCENT_RE.fullmatch(value):
        raise PydanticCustomError(
            "percent",
            'must be a percentage written as a decimal string from "0" to "100" with up to 4 decimals, '
            'such as "7.5"; got {value}',
            {"value": value},
        )
    percent = Decimal(value)
    if percent > 100:
        raise PydanticCustomError(
            "percent_too_large", "cannot be more than 100 percent; got {value}", {"value": value}
        )
    return percent


Percent = Annotated[
    Decimal,
    BeforeValidator(parse_percent),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": PERCENT_PATTERN, "examples": ["7.50"]}),
]


# --- the ladder --------------------------------------------------------------------------------------------


class TierCriterion(BaseModel):
    """A requirement that is not a number the registry holds, e.g. "Joint business plan signed"."""

    model_config = ConfigDict(extra="forbid")

    name: CriterionName = Field(examples=["Joint business plan"])
    description: Text = Field(examples=["A business plan for the year, signed by both sides."])


def _distinct_criteria(criteria: list[TierCriterion]) -> list[TierCriterion]:
    seen: set[str] = set()
    for criterion in criteria:
        key = " ".join(criterion.name.split()).casefold()
        if key in seen:
            raise PydanticCustomError(
                "criterion_duplicate", "criterion '{name}' is listed twice", {"name": criterion.name}
            )
        seen.add(key)
    return criteria


def _revenue_not_negative(value: Money | None) -> Money | None:
    if value is not None and value.amount < 0:
        raise PydanticCustomError("negative_revenue", "a minimum revenue cannot be negative")
    return value


class TierRequirements(BaseModel):
    """What a partner needs to hold the tier. Unset numbers mean no requirement."""

    model_config = ConfigDict(extra="forbid")

    min_trailing_12m_revenue: Annotated[Money | None, AfterValidator(_revenue_not_negative)] = Field(
        default=None,
        description="Minimum revenue through the partner over the trailing 12 months.",
        examples=[{"amount": "1000000.00", "currency": "EUR"}],
    )
    min_certified_staff: int | None = Field(
        default=None, ge=0, le=100_000, description="Minimum number of certified people at the partner."
    )
    criteria: Annotated[
        list[TierCriterion], Field(max_length=MAX_CRITERIA), AfterValidator(_distinct_criteria)
    ] = Field(default_factory=list, description="Other requirements, each with a distinct name.")


class TierBenefits(BaseModel):
    """What a partner gets in the tier: free text for people, and hints incentive programmes may read."""

    model_config = ConfigDict(extra="forbid")

    description: Annotated[str, StringConstraints(max_length=4000), STRIPPED] | None = Field(
        default=None, examples=["Dedicated channel manager; access to the demo lab."]
    )
    discount_percent: Percent | None = Field(default=None, description="Hint: the usual purchase discount.")
    rebate_percent: Percent | None = Field(default=None, description="Hint: the usual rebate on sales.")


class TierIn(BaseModel):
    """A rung of the tier ladder. Its `key` is what partners hold in `tier` and cannot change later."""

    model_config = ConfigDict(extra="forbid")

    key: TierKeyValue = Field(
        description="Lower-case letters, digits, `_` and `-`; unique.", examples=["gold"]
    )
    name: TierName = Field(examples=["Gold"])
    rank: int = Field(
        ge=1, le=1000, description="Position on the ladder, unique: a higher rank is a higher tier."
    )
    requirements: TierRequirements = Field(default_factory=TierRequirements)
    benefits: TierBenefits = Field(default_factory=TierBenefits)


class TierPatch(BaseModel):
    """The fields to change; `requirements` and `benefits`, when sent, replace the whole object. Needs
    `If-Match`. The key cannot change: partners and their history hold it."""

    model_config = ConfigDict(extra="forbid")

    name: Omittable[TierName] = None
    rank: Omittable[Annotated[int, Field(ge=1, le=1000)]] = None
    requirements: Omittable[TierRequirements] = None
    benefits: Omittable[TierBenefits] = None


class TierOut(BaseModel):
    """A rung of the tier ladder."""

    id: UUID
    key: str
    name: str
    rank: int
    requirements: TierRequirements
    benefits: TierBenefits
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime


# --- a partner's tier changes ------------------------------------------------------------------------------


class TierChangeSource(StrEnum):
    """Who decided the change: a person, or a tier recommendation of the scoring service being applied."""

    MANUAL = "manual"
    SCORING_RECOMMENDATION = "scoring_recommendation"


class TierChangeIn(BaseModel):
    """Move a partner to another tier of the ladder."""

    model_config = ConfigDict(extra="forbid")

    tier: TierKeyValue = Field(description="The key of the tier to move to.", examples=["gold"])
    reason: Reason = Field(examples=["Annual tier review 2026: revenue and certifications above Gold"])
    effective_on: PastOrTodayDate | None = Field(
        default=None,
        description="When the change takes effect; today (UTC) when left out. Not in the future, and not "
        "before the partner's last tier change; it may be before the partner was registered (a partner "
        "brought over with its history).",
    )
    source: TierChangeSource = TierChangeSource.MANUAL
    recommendation_id: UUID | None = Field(
        default=None,
        validate_default=True,
        description="The scoring service's tier recommendation being applied: required with "
        "`source: scoring_recommendation`, not allowed otherwise.",
    )

    @field_validator("recommendation_id")
    @classmethod
    def _matches_source(cls, value: UUID | None, info: ValidationInfo) -> UUID | None:
        source = info.data.get("source")
        if source == TierChangeSource.SCORING_RECOMMENDATION and value is None:
            raise PydanticCustomError("missing", "required when applying a scoring recommendation")
        if source == TierChangeSource.MANUAL and value is not None:
            raise PydanticCustomError(
                "recommendation_without_source", 'only allowed with source "scoring_recommendation"'
            )
        return value


class TierChangeOut(BaseModel):
    """One change of a partner's tier: the tier history's entry."""

    id: UUID
    partner_id: UUID
    from_tier: str | None = Field(
        description="The tier held before; null when the partner had none.", examples=["silver"]
    )
    to_tier: str = Field(examples=["gold"])
    effective_on: IsoDate
    reason: str = Field(examples=["Annual review: revenue target met"])
    source: TierChangeSource
    recommendation_id: UUID | None
    changed_by: str = Field(description="The subject of the principal who made the change.")
    changed_at: AwareDatetime
    partner_version: int = Field(description="The partner's version after the change.")


class PartnerTierChanged(BaseModel):
    """Data of `partner.tier_changed`: incentives uses the new tier for eligibility and rates from
    `effective_on`."""

    partner_id: UUID
    tier_change_id: UUID
    from_tier: str | None
    to_tier: str
    effective_on: IsoDate
    reason: str
    source: TierChangeSource
    recommendation_id: UUID | None
    changed_at: AwareDatetime

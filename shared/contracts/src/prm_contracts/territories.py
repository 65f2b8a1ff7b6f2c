"""Territories as they cross boundaries: where a partner sells, and which partners' territories overlap.

A territory is a country, optionally narrowed to one region of it and to one customer segment. An
exclusive territory promises the partner that no other partner sells there: a territory of another partner
that overlaps it (same country; same region or one of the two country-wide; same segment or one of the two
for all segments) is a territory conflict. Conflicts are stored with the territory and listed for the
channel team (`GET /v1/territories/conflicts`); they do not block the territory from being assigned.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from prm_contracts.partners import CountryCode, CustomerSegment, Region
from prm_contracts.patch import Omittable


class TerritoryIn(BaseModel):
    """A territory to assign to a partner."""

    model_config = ConfigDict(extra="forbid")

    country: CountryCode
    region: Region | None = Field(
        default=None,
        description="A region or state of the country; null for the whole country. Compared ignoring case.",
        examples=["Bavaria"],
    )
    segment: CustomerSegment | None = Field(
        default=None, description="The customer segment the territory is for; null for all segments."
    )
    exclusive: StrictBool = Field(
        default=False, description="No other partner is meant to sell in an exclusive territory."
    )


class TerritoryPatch(BaseModel):
    """The fields to change; left out keeps, `null` widens `region` or `segment` to all. Needs `If-Match`."""

    model_config = ConfigDict(extra="forbid")

    country: Omittable[CountryCode] = None
    region: Region | None = None
    segment: CustomerSegment | None = None
    exclusive: Omittable[bool] = None


class TerritoryOut(BaseModel):
    """A partner's territory, with the territories of other partners it overlaps in conflict."""

    id: UUID
    partner_id: UUID
    country: str = Field(description="ISO 3166-1 alpha-2", examples=["DE"])
    region: str | None = Field(description="Null: the whole country.")
    segment: CustomerSegment | None = Field(description="Null: all segments.")
    exclusive: bool
    conflict_count: int = Field(description="How many territories of other partners this one conflicts with.")
    conflicting_territory_ids: list[UUID] | None = Field(
        description="The conflicting territories of other partners; null for a partner's own credential, "
        "which is told how many there are but not whose."
    )
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime


class TerritoryConflictOut(BaseModel):
    """Two partners' territories that overlap where at least one of them is exclusive."""

    id: UUID
    territory_id: UUID = Field(description="The territory whose assignment or change revealed the overlap.")
    partner_id: UUID
    other_territory_id: UUID
    other_partner_id: UUID
    country: str
    region: str | None = Field(description="Where they overlap: a region, or null for the whole country.")
    segment: CustomerSegment | None = Field(description="The segment they overlap in; null for all.")
    exclusive_territory_ids: list[UUID] = Field(description="Which of the two are exclusive.")
    detected_at: AwareDatetime

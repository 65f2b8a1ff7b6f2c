"""Bodies of the market-size endpoints, and the region and segment forms they are stored in."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pycountry
from prm_contracts.money import Money
from prm_contracts.periods import PeriodKind
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

MAX_REGION_LENGTH = 100  # as the registry's partner region


def region_key(value: str | None) -> str | None:
    """A region as market sizes are stored and looked up under: its words upper-cased, single-spaced
    (`  uk &  ireland` → `UK & IRELAND`); None when there is no text or the key is too long. A partner's
    region in the replica gets the same key, so a market size matches the region the registry holds, however
    it is written."""
    if value is None:
        return None
    key = " ".join(value.split()).upper()
    return key if 0 < len(key) <= MAX_REGION_LENGTH else None


def normalise_region(value: Any) -> str:
    """An ISO 3166-1 alpha-2 country (`DE`), a region code (`EMEA`, `US-CA`) or a region as partners are
    placed in (`UK & Ireland`), keyed by `region_key`; a two-letter region must be a country pycountry
    knows."""
    key = region_key(value) if isinstance(value, str) and not any(c in value for c in "\t\n\r") else None
    if key is None or (len(key) == 2 and pycountry.countries.get(alpha_2=key) is None):
        raise ValueError(
            "region must be an ISO 3166-1 alpha-2 country such as DE, or a region as partners are placed in "
            f"(one line, up to {MAX_REGION_LENGTH} characters) such as EMEA or UK & Ireland, "
            f"got {str(value)[:40]!r}"
        )
    return key


def normalise_segment(value: Any) -> str:
    """Free text compared as written without case or extra spaces: `  Mid  Market ` → `mid market`."""
    text = " ".join(value.split()).casefold() if isinstance(value, str) else ""
    if not 1 <= len(text) <= 100:
        raise ValueError("segment must be 1 to 100 characters of text, such as 'mid market'")
    return text


class MarketSizeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: Money = Field(
        description="The whole market's size in the period.",
        examples=[{"amount": "12500000.00", "currency": "EUR"}],
    )

    @model_validator(mode="after")
    def _positive(self) -> MarketSizeIn:
        if self.size.amount <= 0:
            raise PydanticCustomError("size_not_positive", "a market's size must be greater than 0")
        return self


class MarketSizeOut(BaseModel):
    id: UUID
    region: str
    segment: str = Field(description="Normalised: lower case, single spaces.")
    period: str
    period_kind: PeriodKind
    first_day: date
    last_day: date
    size: Money
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime

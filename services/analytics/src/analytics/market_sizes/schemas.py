"""Bodies of the market-size endpoints, and the region and segment forms they are stored in."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID

import pycountry
from prm_contracts.money import Money
from prm_contracts.periods import PeriodKind
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

_REGION = re.compile(r"^[A-Z][A-Z0-9-]{1,19}$")


def normalise_region(value: Any) -> str:
    """An ISO 3166-1 alpha-2 country (`DE`) or a region code of 3 to 20 letters, digits and dashes (`EMEA`,
    `DACH`, `US-CA`), upper-cased; a two-letter code must be a country pycountry knows."""
    text = value.strip().upper() if isinstance(value, str) else ""
    valid = _REGION.fullmatch(text) is not None and (
        len(text) != 2 or pycountry.countries.get(alpha_2=text) is not None
    )
    if not valid:
        raise ValueError(
            f"region must be an ISO 3166-1 alpha-2 country such as DE or a region code such as EMEA, got {str(value)[:40]!r}"
        )
    return text


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

"""Analytics' reference data as it crosses boundaries: FX rates and the rate used for a conversion, and
partners' targets. Incentives converts payouts and scoring reads attainment through these models (with
`AnalyticsClient`), so they are the contract: add fields, never rename or remove one.

FX rates are date-effective: the rate of a currency pair stored for `effective_on` holds from that day until
the next stored date of the same pair. A rate is how many units of `quote` one unit of `base` buys.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from prm_contracts.dates import IsoDate
from prm_contracts.money import CurrencyCode, Money
from prm_contracts.periods import PeriodKind, PeriodLabel

RATE_PATTERN = r"^[0-9]{1,8}(\.[0-9]{1,10})?$"
_RATE_RE = re.compile(RATE_PATTERN)
RATE_PLACES = 10
MONEY_PLACES = 4
_MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)
# 40 digits: a money amount (15 + 4) times or divided by a rate (8 + 10), exact before the rounding to money's
# places; one context given to each operation (a leaderboard converts thousands of amounts).
_CONVERSION = Context(prec=40)
MAX_FX_RATES_PER_REQUEST = 10_000


def round_money(amount: Decimal) -> Decimal:
    """An amount at money's 4 places, half even: how every converted amount is shown."""
    return amount.quantize(_MONEY_QUANTUM, rounding=ROUND_HALF_EVEN, context=_CONVERSION)


def parse_rate(value: Any) -> Decimal:
    """A positive decimal string with at most 8 integer and 10 fractional digits; never a JSON number."""
    if isinstance(value, Decimal) and value.is_finite():
        value = format(value, "f")
    if isinstance(value, bool | int | float):
        raise PydanticCustomError(
            "rate_type", 'rate must be a decimal string such as "1.0842", not a JSON number'
        )
    if not isinstance(value, str) or not _RATE_RE.fullmatch(value.strip()):
        raise PydanticCustomError(
            "rate_format",
            "rate must be a plain decimal string with up to 8 integer and 10 fractional digits, such as "
            '"1.0842", got {value}',
            {"value": repr(value)[:40]},
        )
    rate = Decimal(value.strip())
    if rate <= 0:
        raise PydanticCustomError(
            "rate_not_positive", "rate must be greater than 0, got {value}", {"value": value}
        )
    return rate


Rate = Annotated[
    Decimal,
    BeforeValidator(parse_rate),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": RATE_PATTERN, "examples": ["1.0842"]}),
]
# An answer's rate: an inverse may need all ten places, and it is never refused on the way out.
RateOut = Annotated[
    Decimal,
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": "string", "examples": ["0.9223390519"]}),
]


class FxFrequency(StrEnum):
    """How often a pair's series in one upload has a rate: every day, or the first day of every month."""

    DAILY = "daily"
    MONTHLY = "monthly"


class FxRateIn(BaseModel):
    """One rate: 1 `base` = `rate` `quote`, from `effective_on` until the pair's next stored date."""

    # spelled out: composed field by field, the example paired EUR with EUR, which is refused
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"base": "EUR", "quote": "USD", "rate": "1.0842", "effective_on": "2026-07-01"}]
        },
    )

    base: CurrencyCode
    quote: CurrencyCode
    rate: Rate
    effective_on: IsoDate

    @model_validator(mode="after")
    def _two_currencies(self) -> FxRateIn:
        if self.base == self.quote:
            raise PydanticCustomError("same_currency", "base and quote must be different currencies")
        return self


class FxRatesIn(BaseModel):
    """A batch of rates, stored all or nothing (see `POST /v1/fx-rates`)."""

    model_config = ConfigDict(extra="forbid")

    frequency: FxFrequency = Field(
        default=FxFrequency.DAILY,
        description="Each pair's rates in this batch must have no gap between the pair's first and last "
        "date: `daily` every calendar day, `monthly` the first day of every month.",
    )
    corrections: StrictBool = Field(
        default=False,
        description="Allow replacing a stored rate of a pair and date by a different one; without it such a "
        "rate is refused with 409 and nothing is stored.",
    )
    rates: list[FxRateIn] = Field(min_length=1, max_length=MAX_FX_RATES_PER_REQUEST)


class FxRateOut(BaseModel):
    id: UUID
    base: str
    quote: str
    rate: RateOut
    effective_on: date
    version: int = Field(description="1 when loaded, incremented by each correction.")
    created_at: AwareDatetime
    updated_at: AwareDatetime


class FxLoadReport(BaseModel):
    """What a load stored: new rates, rates already stored identically (no-ops) and corrected ones."""

    created: int
    unchanged: int
    corrected: int


class FxRateUsed(BaseModel):
    """The rate a conversion from `base` to `quote` on a day uses, and where it comes from.

    `rate` is quote units per base unit. It is the stored rate of the pair, or, when only the reverse pair
    has a rate (or its rate is more recent), that rate's inverse (`inverted: true`); no cross rate through a
    third currency is ever made up. A conversion to the same currency uses rate 1 with no date.
    """

    base: str
    quote: str
    on: date = Field(description="The day the rate was asked for.")
    rate: RateOut = Field(description="Quote units per base unit, rounded to 10 places when inverted.")
    effective_on: date | None = Field(description="The date the stored rate holds from; null for rate 1.")
    inverted: bool = Field(description="True when the stored rate is of the reverse pair.")
    stored_rate: RateOut | None = Field(description="The stored rate, of `quote`/`base` when inverted.")

    def convert(self, amount: Decimal) -> Decimal:
        """`amount` of base in quote, rounded half-even to 4 places (money's precision); rate 1 leaves it."""
        if self.stored_rate is None:
            return amount
        return round_money(self.convert_unrounded(amount))

    def convert_unrounded(self, amount: Decimal) -> Decimal:
        """`amount` of base in quote to 40 digits, for a sum of conversions rounded once at the end
        (`round_money`): rounding each term apart could move the sum by 0.0001 per term. An inverted rate
        divides by the stored rate, so no rounding of the inverse leaks into the result."""
        if self.stored_rate is None:
            return amount
        if self.inverted:
            return _CONVERSION.divide(amount, self.stored_rate)
        return _CONVERSION.multiply(amount, self.stored_rate)

    def convert_exact(self, amount: Decimal) -> Decimal:
        """`amount` of base in quote, unrounded: `amount` * `rate`, the factor a line of the day is converted with
        (for an inverted pair the inverse rounded to 10 places, as `rate` shows it), for callers that round once
        at the end (incentives' payouts)."""
        if self.stored_rate is None:
            return amount
        return _CONVERSION.multiply(amount, self.rate)

    def convert_money(self, money: Money) -> Money:
        if money.currency != self.base:
            raise ValueError(f"this rate converts {self.base}, not {money.currency}")
        return Money(amount=self.convert(money.amount), currency=self.quote)


# --- targets -----------------------------------------------------------------------------------------------


class TargetMetric(StrEnum):
    REVENUE = "revenue"
    GROSS_PROFIT = "gross_profit"


def _not_negative(money: Money) -> Money:
    if money.amount < 0:
        raise PydanticCustomError("negative_amount", "the amount cannot be negative")
    return money


class TargetIn(BaseModel):
    """A partner's target for a period. All targets of one partner are in one currency."""

    model_config = ConfigDict(extra="forbid")

    target: Money = Field(examples=[{"amount": "250000.00", "currency": "EUR"}])

    @model_validator(mode="after")
    def _not_negative(self) -> TargetIn:
        _not_negative(self.target)
        return self


class TargetOut(BaseModel):
    id: UUID
    partner_id: UUID
    metric: TargetMetric
    period: PeriodLabel
    period_kind: PeriodKind
    first_day: date
    last_day: date
    target: Money
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime

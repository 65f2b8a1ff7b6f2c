"""Money as it crosses every boundary: a decimal string and an ISO 4217 code, never a float."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

import pycountry
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

# Funds, precious metals and the testing/"no currency" codes are ISO 4217 entries but not money we pay.
_NOT_MONEY = {"XAG", "XAU", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX"}
CURRENCY_CODES: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.currencies) - _NOT_MONEY

# [0-9], not \d: Python's \d also matches other scripts' digits, which Decimal would silently read.
AMOUNT_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,4})?$"
_AMOUNT_RE = re.compile(AMOUNT_PATTERN)


# ISO 4217 minor units that are not 2; every other currency has 2.
_MINOR_UNIT_PLACES = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def minor_unit(currency: str) -> Decimal:
    """The currency's smallest unit: 0.01 for EUR, 1 for JPY, 0.001 for KWD."""
    return Decimal(1).scaleb(-_MINOR_UNIT_PLACES.get(currency, 2))


def in_minor_units(amount: Decimal, currency: str) -> bool:
    """Whether `amount` is a whole number of the currency's minor unit (what can be paid in it)."""
    return amount == amount.quantize(minor_unit(currency))


def parse_amount(value: Any) -> Decimal:
    """Accept a decimal string (or a Decimal from Python code); refuse JSON numbers and non-finite values."""
    if type(value) is str and _AMOUNT_RE.fullmatch(value):  # the common case first: one match, no more checks
        return _zero_unsigned(Decimal(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("amount must be a finite decimal")
        value = format(value, "f")
    if isinstance(value, bool | int | float):
        raise ValueError('amount must be sent as a decimal string such as "1234.50", not as a JSON number')
    if not isinstance(value, str):
        raise ValueError('amount must be a decimal string such as "1234.50"')
    if not _AMOUNT_RE.fullmatch(value):
        raise ValueError(
            "amount must be a plain decimal string with up to 15 integer and 4 fractional digits "
            '(such as "1234.50"); exponents, NaN and Infinity are not accepted'
        )
    return _zero_unsigned(Decimal(value))


def _zero_unsigned(amount: Decimal) -> Decimal:
    """`-0.00` as `0.00`: one zero, so it is stored, hashed, summed and shown the same whichever was sent."""
    return amount if amount or not amount.is_signed() else amount.copy_abs()


def parse_currency(value: Any) -> str:
    if not isinstance(value, str) or value not in CURRENCY_CODES:
        raise PydanticCustomError(
            "currency_code",
            "currency must be an ISO 4217 code such as EUR or USD, got {value}",
            {"value": repr(value)},
        )
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(parse_amount),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["1234.50"]}),
]
CurrencyCode = Annotated[
    str,
    BeforeValidator(parse_currency),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["EUR"]}),
]


class Money(BaseModel):
    """An exact amount of one currency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Amount
    currency: CurrencyCode

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(amount=self.amount + other.amount, currency=self.currency)

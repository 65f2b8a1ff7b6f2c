"""Which stored rate converts one currency into another on a day. Pure.

The rate of the pair itself is used, or the inverse of the reverse pair's: whichever of the two holds from
the later date (the pair's own on a tie), because a rate holds only until the next one. No cross rate through
a third currency is made up, and a missing rate is reported, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from prm_contracts.analytics import RATE_PLACES, FxRateUsed


@dataclass(frozen=True)
class StoredRate:
    base: str
    quote: str
    effective_on: date
    rate: Decimal


def inverse(rate: Decimal) -> Decimal:
    """1 / rate, rounded half-even to 10 places (what an answer shows; conversions divide instead)."""
    with localcontext() as exact:
        exact.prec = 40
        return (Decimal(1) / rate).quantize(Decimal(1).scaleb(-RATE_PLACES), rounding=ROUND_HALF_EVEN)


def rate_used(
    base: str, quote: str, on: date, *, direct: StoredRate | None, reverse: StoredRate | None
) -> FxRateUsed | None:
    """The rate from `base` to `quote` on `on`, given the latest stored rate of each direction on or before
    `on`; None when there is none."""
    if base == quote:
        return FxRateUsed(
            base=base,
            quote=quote,
            on=on,
            rate=Decimal(1),
            effective_on=None,
            inverted=False,
            stored_rate=None,
        )
    if direct is not None and (reverse is None or direct.effective_on >= reverse.effective_on):
        return FxRateUsed(
            base=base,
            quote=quote,
            on=on,
            rate=direct.rate,
            effective_on=direct.effective_on,
            inverted=False,
            stored_rate=direct.rate,
        )
    if reverse is not None:
        return FxRateUsed(
            base=base,
            quote=quote,
            on=on,
            rate=inverse(reverse.rate),
            effective_on=reverse.effective_on,
            inverted=True,
            stored_rate=reverse.rate,
        )
    return None

"""The one rounding rule: exact Decimal everywhere, rounded only at the payout (half-even, to the currency's
minor unit); a payout's per-line trace is that rounded amount allocated over the exact contributions by
largest remainder, so the trace sums to the payout exactly."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext

from prm_contracts.money import minor_unit

PRECISION = 60  # digits of every intermediate: amounts * rates * ratios never lose a digit that matters


def round_payout(amount: Decimal, currency: str) -> Decimal:
    """Half-even to the minor unit: the only place a payout is rounded."""
    with localcontext() as context:
        context.prec = PRECISION
        return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_EVEN)


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """`total` (already in minor units) split over `weights` in proportion, each share a whole number of minor
    units, the shares summing to `total` exactly.

    Each share's exact target is weight * total / Σweights; shares start at the target rounded down and the
    minor units left over go one each to the largest remainders (ties: the earlier weight). Weights may be
    negative (returns); when they sum to 0 every share is 0, which needs `total` to be 0.
    """
    unit = minor_unit(currency)
    with localcontext() as context:
        context.prec = PRECISION
        weight_sum = sum(weights, Decimal(0))
        if weight_sum == 0:
            if total != 0:
                raise ValueError(f"cannot allocate {total} over weights summing to 0")
            return [Decimal(0).quantize(unit)] * len(weights)
        units = total / unit
        targets = [weight * units / weight_sum for weight in weights]
        floors = [target.to_integral_value(rounding=ROUND_FLOOR) for target in targets]
        left = int(units - sum(floors, Decimal(0)))
        by_remainder = sorted(range(len(weights)), key=lambda i: (-(targets[i] - floors[i]), i))
        for position in range(left):
            floors[by_remainder[position % len(weights)]] += 1
        return [(share * unit).quantize(unit) for share in floors]

"""A payout's per-line trace: the rounded payout (and MDF accrual) allocated over the exact contributions of
its lines (rounding.allocate), so the trace of a payout sums to it exactly and reads the same every time."""

from __future__ import annotations

from decimal import Decimal

from prm_contracts.incentives import RuleKind

from incentives.calculation.reference import Contribution
from incentives.calculation.rounding import allocate


def traced(
    contributions: list[Contribution], payout: Decimal, mdf_accrual: Decimal, currency: str
) -> list[tuple[Contribution, Decimal]]:
    """Each contribution with its share in minor units: earning rules share the payout, MDF accrual rules the
    accrual. Contributions are ordered by (line id, rule) first, so ties always break the same way."""

    ordered = sorted(contributions, key=lambda c: (str(c.line_id), c.rule))
    earning = [c for c in ordered if c.kind is not RuleKind.MDF_ACCRUAL]
    accruing = [c for c in ordered if c.kind is RuleKind.MDF_ACCRUAL]
    shares = dict(zip(map(id, earning), allocate(payout, [c.amount for c in earning], currency), strict=True))
    shares |= dict(
        zip(map(id, accruing), allocate(mdf_accrual, [c.amount for c in accruing], currency), strict=True)
    )
    return [(c, shares[id(c)]) for c in ordered]

"""Whether a locked run paid a given line, judged as the run's per-line trace would show it (the reference
calculator's rules over the line's facts, the run's `as_of` and the flags it held): a clawback reverses only
what was paid for the returned sale."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal
from typing import Any

from prm_contracts.incentives import VersionTerms
from prm_contracts.periods import parse_period

from incentives.calculation.reference import LineFacts, counts_in_period, eligible, hold_reason
from incentives.calculation_runs.models import CalculationRun, Payout


def line_facts(
    row: Any, rates: dict[tuple[str, date], Decimal], currency: str, flagged: Collection[str] | None
) -> LineFacts:
    """A row of `line_sums.partner_lines` / `lines_with_facts` as the reference calculator takes it, with the
    run's FX rate of the line's day and the run's `flagged` lines (None: the line's own flag, as it is now)."""
    line = row.SalesLine
    rate = (
        Decimal(1) if line.currency == currency else rates.get((line.currency, line.occurred_on), Decimal(0))
    )
    return LineFacts(
        id=line.id,
        partner_id=line.partner_id,
        external_id=line.external_id,
        kind=line.kind,
        occurred_on=line.occurred_on,
        payment_status=line.payment_status,
        paid_on=line.paid_on,
        sku=line.product_sku,
        category=line.product_category,
        quantity=line.quantity,
        amount=line.amount,
        currency=line.currency,
        fx_rate=rate,
        approved_deal=bool(row.approved_deal),
        # the flags the run held, not today's: a trace reads the same whatever the guard decides later
        flag_status=line.flag_status if flagged is None else "open" if str(line.id) in flagged else "none",
        tier=row.tier,
        active=row.status == "active",
        partner_type=row.partner_type,
        country=row.country,
        region=row.region,
        original_external_id=line.original_external_id,
    )


def paid_in(run: CalculationRun, payout: Payout, terms: VersionTerms, row: Any) -> bool:
    """The run paid the line (a row of `line_sums.lines_with_facts`): the run read it, it counts in the
    run's window on the version's basis, it is eligible, and neither a flag the run held nor the hold window
    at the run's `as_of` held it. A held line is paid later, if ever, by a delta: not by this run."""
    if row.SalesLine.recorded_at > run.computed_at:
        return False
    # no FX rates: the conversion plays no part in whether the line was paid
    facts = line_facts(row, {}, run.currency, payout.breakdown["flagged_lines"])
    return (
        counts_in_period(terms, parse_period(run.period), facts)
        and eligible(terms, facts)
        and hold_reason(terms, facts, run.as_of) is None
    )

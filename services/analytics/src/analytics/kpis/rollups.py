"""What a batch of accepted lines adds to the partner x customer x month rollup. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from prm_contracts.sales import SalesKind, SalesTransaction

from analytics.sales.rollups import customer_key


def month_of(day: date) -> date:
    return day.replace(day=1)


def customer_month_rollup_rows(partner_id: UUID, lines: Sequence[SalesTransaction]) -> list[dict[str, Any]]:
    """The increments, one per (month, customer), sorted by key so concurrent writers lock rows in one order."""
    sales: Counter[tuple[date, str]] = Counter()
    counts: Counter[tuple[date, str]] = Counter()
    for line in lines:
        key = (month_of(line.occurred_on), customer_key(line))
        counts[key] += 1
        sales[key] += line.kind is SalesKind.sale
    return [
        {
            "partner_id": partner_id,
            "month": month,
            "customer_key": customer,
            "sale_line_count": sales[(month, customer)],
            "line_count": counts[(month, customer)],
        }
        for month, customer in sorted(counts)
    ]

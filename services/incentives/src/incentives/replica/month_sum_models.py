"""The replica's lines summed per partner and month, so that a calculation run reads a few sums per partner
and month instead of every line of its period: `sales_month_sum` by everything eligibility and the rules
look at (currency, SKU, category, deal registration), `sales_month_total` by currency only, for programmes that
look at nothing else (the most common: a rebate, a volume bonus, an accelerator on a partner's whole volume).
The `_paid_` tables hold the paid lines by the month they were paid in as well, for the paid basis.

Database triggers (migration incentives0016) keep the four tables equal to the sums of `sales_line` in the
same transaction as any insert, update or delete of a line, whatever writes it (an event, a test, a bulk
load), so no code path can forget them. A line an open or confirmed flag holds is left out: runs read those
one by one (they name them).

A month's sum is exact only where nothing inside the month sets some of its lines apart; a run reads such
months line by line instead (calculation_runs/month_split.py says when). Hence `days`, the days of the month
with lines (day d is bit d - 1): the FX rates a run needs are per day, and a month's lines convert as one sum
only when every one of those days has the same rate. `last_recorded_at` lets a run tell whether a sum holds
lines recorded after the run's moment (a run then reads that month line by line); after lines leave a sum it
may be later than its lines are, which only sends a run to the lines more often.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db import Base

NO_DEAL = uuid.UUID(int=0)
"""`deal_registration_id` of the sums of lines without one (a key column: NULL would not be one key)."""


class _Sums:
    """What every month-sum table holds besides its key."""

    amount: Mapped[Decimal] = mapped_column(doc="Signed: returns and credit notes subtract.")
    quantity: Mapped[Decimal] = mapped_column(doc="Signed, as `amount`.")
    signed_lines: Mapped[int] = mapped_column(doc="Sales count +1, returns and credit notes -1.")
    lines: Mapped[int]
    days: Mapped[int] = mapped_column(doc="The days of the month with lines: day d is bit d - 1.")
    last_recorded_at: Mapped[datetime | None]


class SalesMonthSum(_Sums, Base):
    """A partner's lines of one month with the same currency, SKU, category and deal registration, summed."""

    __tablename__ = "sales_month_sum"

    occurred_month: Mapped[date] = mapped_column(primary_key=True, doc="The first day of the lines' month.")
    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    product_sku: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    product_category: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    deal_registration_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, doc="`NO_DEAL` for none.")


class SalesPaidMonthSum(_Sums, Base):
    """`SalesMonthSum` of the paid lines, by the month they were paid in too (the paid basis's window)."""

    __tablename__ = "sales_paid_month_sum"

    paid_month: Mapped[date] = mapped_column(primary_key=True, doc="The first day of the month of `paid_on`.")
    occurred_month: Mapped[date] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    product_sku: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    product_category: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    deal_registration_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class SalesMonthTotal(_Sums, Base):
    """A partner's lines of one month in one currency, summed (`SalesMonthSum` without the product and deal)."""

    __tablename__ = "sales_month_total"

    occurred_month: Mapped[date] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)


class SalesPaidMonthTotal(_Sums, Base):
    """`SalesMonthTotal` of the paid lines, by the month they were paid in too."""

    __tablename__ = "sales_paid_month_total"

    paid_month: Mapped[date] = mapped_column(primary_key=True)
    occurred_month: Mapped[date] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)

"""Calculation runs and their per-partner payouts, as stored (see migration incentives0013).

A run keeps every input that is not an immutable replica line: the programme version, the period, `as_of`,
the FX rates and targets it used and when it read the replica (`computed_at`, lines recorded later are not
its). A payout keeps the exact amounts behind the rounded one and the flagged lines it held; per-line traces
are derived on read from these and the lines, never stored.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from prm_contracts.incentives import PayoutStatus, RunStatus
from prm_kit.db import JSONDocument, one_of
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db import Base


class CalculationRun(Base):
    __tablename__ = "calculation_run"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "period"),
        sa.CheckConstraint(one_of("status", RunStatus), name="status"),
        sa.CheckConstraint(
            "(status = 'draft') = (approved_at IS NULL AND approved_by IS NULL)", name="approved"
        ),
        sa.CheckConstraint("(status = 'paid') = (paid_at IS NOT NULL AND paid_by IS NOT NULL)", name="paid"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("programme.id", ondelete="RESTRICT"))
    version_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("programme_version.id", ondelete="RESTRICT"))
    version_number: Mapped[int]
    period: Mapped[str] = mapped_column(sa.String(7))
    first_day: Mapped[date]
    end_day: Mapped[date] = mapped_column(doc="The day after the period.")
    as_of: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(10))
    currency: Mapped[str] = mapped_column(sa.String(3))
    fx_rates: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    targets: Mapped[dict[str, str]] = mapped_column(JSONDocument)
    budget_factor: Mapped[str | None] = mapped_column(sa.String(80))
    payout_total: Mapped[Decimal]
    mdf_accrual_total: Mapped[Decimal]
    partner_count: Mapped[int]
    held_lines: Mapped[int]
    computed_by: Mapped[str] = mapped_column(sa.String(200))
    computed_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(sa.String(200))
    approved_at: Mapped[datetime | None]
    paid_by: Mapped[str | None] = mapped_column(sa.String(200))
    paid_at: Mapped[datetime | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Payout(Base):
    __tablename__ = "calculation_payout"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", PayoutStatus), name="status"),
        sa.CheckConstraint("(status = 'held') = (hold_reason IS NOT NULL)", name="held"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("calculation_run.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    amount: Mapped[Decimal]
    mdf_accrual: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    breakdown: Mapped[dict[str, Any]] = mapped_column(
        JSONDocument, doc="Exact amounts (strings): per rule, volume, factors; and the flagged lines held."
    )
    calculated: Mapped[Decimal] = mapped_column(doc="What the rules paid (rounded), before adjustments.")
    status: Mapped[str] = mapped_column(sa.String(10))
    hold_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    decided_at: Mapped[datetime | None]

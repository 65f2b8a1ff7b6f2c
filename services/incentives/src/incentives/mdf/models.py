"""MDF as stored (migration incentives0012): budget → allocation per partner → request → claim, plus the
accruals calculation runs add to allocations.

Each child row repeats its parent's currency and partner, so sums and checks never need a join, and each
parent is the row locked while its children's sum is checked (see `repository.lock_*`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from prm_contracts.mdf import MdfClaimStatus, MdfRequestStatus
from prm_kit.db import JSONDocument, one_of
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db import Base


class MdfBudget(Base):
    __tablename__ = "mdf_budget"
    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount"),
        sa.CheckConstraint("end_day > first_day", name="period_range"),
        sa.Index("ix_mdf_budget_created_at", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    programme_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("programme.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    period: Mapped[str] = mapped_column(sa.String(7))
    first_day: Mapped[date]
    end_day: Mapped[date] = mapped_column(doc="The day after the period.")
    amount: Mapped[Decimal] = mapped_column(doc="0 for a budget opened by accruals alone.")
    description: Mapped[str | None] = mapped_column(sa.Text())
    created_by: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MdfAllocation(Base):
    __tablename__ = "mdf_allocation"
    __table_args__ = (
        sa.UniqueConstraint("budget_id", "partner_id"),
        sa.CheckConstraint("amount >= 0", name="amount"),
        sa.CheckConstraint("accrued >= 0", name="accrued"),
        sa.Index("ix_mdf_allocation_partner_id", "partner_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    budget_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("mdf_budget.id", ondelete="RESTRICT"))
    partner_id: Mapped[uuid.UUID]
    currency: Mapped[str] = mapped_column(sa.String(3))
    amount: Mapped[Decimal] = mapped_column(doc="Carved from the budget (counts against it).")
    accrued: Mapped[Decimal] = mapped_column(doc="The sum of its accruals (funded by sales, not the budget).")
    created_by: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MdfAccrual(Base):
    """What one approved calculation run accrued to one partner: at most one row per (run, partner)."""

    __tablename__ = "mdf_accrual"
    __table_args__ = (
        sa.UniqueConstraint("source_run_id", "partner_id"),
        sa.CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    allocation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("mdf_allocation.id", ondelete="RESTRICT"), index=True
    )
    partner_id: Mapped[uuid.UUID]
    source_run_id: Mapped[uuid.UUID]
    period: Mapped[str] = mapped_column(sa.String(7))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    accrued_at: Mapped[datetime]


class MdfRequest(Base):
    __tablename__ = "mdf_request"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", MdfRequestStatus), name="status"),
        sa.CheckConstraint("planned_amount > 0", name="planned_amount"),
        sa.CheckConstraint("ends_on >= starts_on", name="dates"),
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided"),
        sa.Index("ix_mdf_request_allocation_id", "allocation_id", "status"),
        sa.Index("ix_mdf_request_partner_id", "partner_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    allocation_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("mdf_allocation.id", ondelete="RESTRICT"))
    budget_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("mdf_budget.id", ondelete="RESTRICT"))
    partner_id: Mapped[uuid.UUID]
    activity: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text())
    planned_amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    expected_outcome: Mapped[str] = mapped_column(sa.Text())
    expected_roi: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(sa.String(10))
    submitted_by: Mapped[str] = mapped_column(sa.String(200))
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(sa.Text())
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MdfClaim(Base):
    __tablename__ = "mdf_claim"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", MdfClaimStatus), name="status"),
        sa.CheckConstraint("amount > 0", name="amount"),
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided"),
        sa.CheckConstraint("(status = 'paid') = (paid_at IS NOT NULL)", name="paid"),
        sa.Index("ix_mdf_claim_request_id", "request_id", "status"),
        sa.Index("ix_mdf_claim_partner_id", "partner_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("mdf_request.id", ondelete="RESTRICT"))
    allocation_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("mdf_allocation.id", ondelete="RESTRICT"))
    partner_id: Mapped[uuid.UUID]
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    proof_reference: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str | None] = mapped_column(sa.Text())
    roi: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(sa.String(10))
    submitted_by: Mapped[str] = mapped_column(sa.String(200))
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(sa.Text())
    paid_by: Mapped[str | None] = mapped_column(sa.String(200))
    paid_at: Mapped[datetime | None]
    payment_reference: Mapped[str | None] = mapped_column(sa.String(500))
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

"""Improvement plans and their goals, as stored (see migration scoring0011).

A goal keeps its latest progress (state, value, expected value, the window read) on its own row: a plan is
read whole, and a progress check rewrites the goals it read.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from prm_kit.db import ExactDecimal, one_of
from sqlalchemy.orm import Mapped, mapped_column

from scoring.db import Base
from scoring.improvement_plans.progress import AMOUNT_KPIS, GoalState, KpiName
from scoring.improvement_plans.schemas import PlanStatus

# 13 integer digits and 6 decimals: exact on SQLite's 64-bit integers too; the API refuses larger targets
KpiColumn = ExactDecimal(19, 6)
AMOUNT_KPI_LIST = ", ".join(f"'{kpi.value}'" for kpi in sorted(AMOUNT_KPIS))


class ImprovementPlan(Base):
    __tablename__ = "improvement_plan"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", PlanStatus), name="status"),
        sa.CheckConstraint("(status = 'open') = (closed_at IS NULL AND closed_by IS NULL)", name="closed"),
        sa.Index("ix_improvement_plan_partner_id", "partner_id", "created_at", "id"),
        sa.Index("ix_improvement_plan_status", "status", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # the registry's partner: another service's id, so no foreign key
    partner_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(sa.String(200))
    owner: Mapped[str] = mapped_column(sa.String(200))
    notes: Mapped[str | None] = mapped_column(sa.Text())
    status: Mapped[str] = mapped_column(sa.String(16))
    starts_on: Mapped[date]
    last_checked_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(sa.String(200))
    closing_note: Mapped[str | None] = mapped_column(sa.Text())
    created_by: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ImprovementGoal(Base):
    """One goal of a plan, in the order it was given (`position`), with its latest progress."""

    __tablename__ = "improvement_goal"
    __table_args__ = (
        sa.CheckConstraint(one_of("kpi", KpiName), name="kpi"),
        sa.CheckConstraint(f"(target_currency IS NOT NULL) = (kpi IN ({AMOUNT_KPI_LIST}))", name="currency"),
        sa.CheckConstraint(f"state IS NULL OR {one_of('state', GoalState)}", name="state"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("improvement_plan.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kpi: Mapped[str] = mapped_column(sa.String(40))
    target: Mapped[Decimal] = mapped_column(KpiColumn)
    target_currency: Mapped[str | None] = mapped_column(sa.String(3))
    due_on: Mapped[date]
    baseline: Mapped[Decimal | None] = mapped_column(KpiColumn)
    baseline_on: Mapped[date | None]
    # the latest progress check (all null before the first)
    state: Mapped[str | None] = mapped_column(sa.String(16))
    value: Mapped[Decimal | None] = mapped_column(KpiColumn)
    expected: Mapped[Decimal | None] = mapped_column(KpiColumn)
    reason: Mapped[str | None] = mapped_column(sa.Text())
    measured_from: Mapped[date | None]
    measured_to: Mapped[date | None]
    checked_at: Mapped[datetime | None]

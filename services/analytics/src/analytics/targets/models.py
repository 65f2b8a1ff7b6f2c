"""Partners' targets per metric and period, as stored (see migration analytics0003)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from prm_contracts.analytics import TargetMetric
from prm_contracts.periods import PeriodKind
from prm_kit.db import one_of
from sqlalchemy.orm import Mapped, mapped_column

from analytics.db import Base


class Target(Base):
    __tablename__ = "target"
    __table_args__ = (
        sa.UniqueConstraint("partner_id", "metric", "period"),
        sa.CheckConstraint(one_of("metric", TargetMetric), name="metric"),
        sa.CheckConstraint(one_of("period_kind", PeriodKind), name="period_kind"),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.Index("ix_target_period", "period", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    metric: Mapped[str] = mapped_column(sa.String(20))
    period: Mapped[str] = mapped_column(sa.String(7))
    period_kind: Mapped[str] = mapped_column(sa.String(10))
    first_day: Mapped[date]
    last_day: Mapped[date]
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

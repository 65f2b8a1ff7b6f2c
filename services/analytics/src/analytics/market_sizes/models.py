"""Market sizes per region, segment and period, as stored (see migration analytics0003)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from prm_contracts.periods import PeriodKind
from prm_kit.db import one_of
from sqlalchemy.orm import Mapped, mapped_column

from analytics.db import Base


class MarketSize(Base):
    __tablename__ = "market_size"
    __table_args__ = (
        sa.UniqueConstraint("region", "segment", "period"),
        sa.CheckConstraint(one_of("period_kind", PeriodKind), name="period_kind"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.Index("ix_market_size_period", "period", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(sa.String(100))  # schemas.region_key
    segment: Mapped[str] = mapped_column(sa.String(100))
    period: Mapped[str] = mapped_column(sa.String(7))
    period_kind: Mapped[str] = mapped_column(sa.String(10))
    first_day: Mapped[date]
    last_day: Mapped[date]
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

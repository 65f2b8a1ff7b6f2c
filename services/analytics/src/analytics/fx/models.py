"""Date-effective FX rates, as stored (see migration analytics0003)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from prm_contracts.analytics import RATE_PLACES
from prm_kit.db import ExactDecimal
from sqlalchemy.orm import Mapped, mapped_column

from analytics.db import Base

# 8 integer and 10 fractional digits: on SQLite the scaled integer stays within 64 bits
RATE_TYPE = ExactDecimal(18, RATE_PLACES)


class FxRate(Base):
    """1 `base` = `rate` `quote` from `effective_on` until the pair's next stored date."""

    __tablename__ = "fx_rate"
    __table_args__ = (
        sa.UniqueConstraint("base", "quote", "effective_on"),
        sa.CheckConstraint("rate > 0", name="rate_positive"),
        sa.CheckConstraint("base <> quote", name="two_currencies"),
        sa.Index("ix_fx_rate_effective_on", "effective_on", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    base: Mapped[str] = mapped_column(sa.String(3))
    quote: Mapped[str] = mapped_column(sa.String(3))
    effective_on: Mapped[date]
    rate: Mapped[Decimal] = mapped_column(RATE_TYPE)
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

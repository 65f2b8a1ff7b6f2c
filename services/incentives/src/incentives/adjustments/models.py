"""Adjustments of a partner's payout of a programme's period, kept apart from the computed payout so that a
recalculation never loses them (migration incentives0015). Manual ones are entered by a channel manager;
clawbacks and deltas are written by the run of the period they land in (see adjustments/corrections.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from prm_contracts.incentives import AdjustmentKind
from prm_kit.db import one_of
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db import Base


class Adjustment(Base):
    __tablename__ = "payout_adjustment"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", AdjustmentKind), name="kind"),
        sa.Index("ix_payout_adjustment_programme_id_period", "programme_id", "period"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("programme.id", ondelete="RESTRICT"))
    partner_id: Mapped[uuid.UUID]
    period: Mapped[str] = mapped_column(sa.String(7))
    kind: Mapped[str] = mapped_column(sa.String(10))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    reason: Mapped[str] = mapped_column(sa.Text)
    source_line_id: Mapped[uuid.UUID | None]
    original_line_id: Mapped[uuid.UUID | None]
    source_run_id: Mapped[uuid.UUID | None]
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]

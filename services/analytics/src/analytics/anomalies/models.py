"""Anomaly flags: a reason to look at a stored sales line before anyone is paid on it (migration
analytics0010). A flag is raised open at ingestion and reviewed once, as confirmed or dismissed."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from prm_contracts.sales import FlagStatus
from prm_kit.db import one_of
from sqlalchemy.orm import Mapped, mapped_column

from analytics.db import Base


class AnomalyFlag(Base):
    __tablename__ = "anomaly_flag"
    __table_args__ = (
        sa.UniqueConstraint("line_id", "code"),
        sa.CheckConstraint(one_of("status", FlagStatus), name="status"),
        sa.Index("ix_anomaly_flag_status", "status", "created_at", "id"),
        sa.Index("ix_anomaly_flag_partner_id", "partner_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    line_id: Mapped[uuid.UUID]
    line_external_id: Mapped[str] = mapped_column(sa.String(200))
    line_occurred_on: Mapped[date]
    code: Mapped[str] = mapped_column(sa.String(40))
    reason: Mapped[str] = mapped_column(sa.Text())
    status: Mapped[str] = mapped_column(sa.String(20))
    review_note: Mapped[str | None] = mapped_column(sa.String(2000))
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(200))
    reviewed_at: Mapped[datetime | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

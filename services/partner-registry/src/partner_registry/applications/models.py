"""Partner applications, as stored (see migration registry0005)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from prm_contracts.applications import ApplicationStatus, ScreeningStatus
from prm_kit.db import JSONDocument, one_of
from sqlalchemy.orm import Mapped, mapped_column

from partner_registry.db import Base


class PartnerApplication(Base):
    """One application; it registered exactly one partner (`partner_id` is unique)."""

    __tablename__ = "partner_application"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", ApplicationStatus), name="status"),
        sa.CheckConstraint(one_of("screening_status", ScreeningStatus), name="screening_status"),
        sa.UniqueConstraint("partner_id"),
        sa.Index("ix_partner_application_created_at", "created_at", "id"),
        sa.Index("ix_partner_application_status", "status", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(20))
    # the company facts and questionnaire as submitted: what scoring assessed, whatever the partner becomes
    company: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    questionnaire: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    screening_status: Mapped[str] = mapped_column(sa.String(20))
    screening_attempts: Mapped[int]
    screening_error: Mapped[str | None] = mapped_column(sa.Text())
    screened_at: Mapped[datetime | None]
    prequalification: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    submitted_by: Mapped[str] = mapped_column(sa.String(200))
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(sa.Text())
    screening_override_reason: Mapped[str | None] = mapped_column(sa.Text())
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

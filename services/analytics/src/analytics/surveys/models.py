"""Survey responses (NPS and CSAT per respondent), as stored (see migration analytics0003)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from analytics.db import Base


class SurveyResponse(Base):
    __tablename__ = "survey_response"
    __table_args__ = (
        sa.UniqueConstraint("partner_id", "survey_id", "respondent_id"),
        sa.CheckConstraint("nps IS NULL OR (nps >= 0 AND nps <= 10)", name="nps_range"),
        sa.CheckConstraint("csat IS NULL OR (csat >= 1 AND csat <= 5)", name="csat_range"),
        sa.CheckConstraint("nps IS NOT NULL OR csat IS NOT NULL", name="has_score"),
        sa.Index("ix_survey_response_partner_id", "partner_id", "responded_on", "id"),
        sa.Index("ix_survey_response_responded_on", "responded_on", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    survey_id: Mapped[str] = mapped_column(sa.String(100))
    respondent_id: Mapped[str] = mapped_column(sa.String(200))
    nps: Mapped[int | None]
    csat: Mapped[int | None]
    responded_on: Mapped[date]
    created_at: Mapped[datetime]

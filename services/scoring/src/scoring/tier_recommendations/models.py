"""Tier recommendations as stored (migration scoring0010): at most one open per partner, refreshed in place
while it says the same; applied ones keep who applied them, when, and the registry's tier change."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from prm_contracts.scoring import TierAction, TierRecommendationStatus
from prm_kit.db import JSONDocument, one_of
from sqlalchemy.orm import Mapped, mapped_column

from scoring.db import Base


class TierRecommendation(Base):
    __tablename__ = "tier_recommendation"
    __table_args__ = (
        sa.CheckConstraint(one_of("action", TierAction), name="action"),
        sa.CheckConstraint(one_of("status", TierRecommendationStatus), name="status"),
        sa.CheckConstraint("(revenue_amount IS NULL) = (revenue_currency IS NULL)", name="revenue_currency"),
        sa.Index(
            "uq_tier_recommendation_open_partner_id",
            "partner_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
        sa.Index("ix_tier_recommendation_created_at", "created_at", "id"),
        sa.Index("ix_tier_recommendation_partner_id", "partner_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    current_tier: Mapped[str | None] = mapped_column(sa.String(40))
    recommended_tier: Mapped[str | None] = mapped_column(sa.String(40))
    action: Mapped[str] = mapped_column(sa.String(16))
    reasons: Mapped[list[str]] = mapped_column(JSONDocument)
    gap: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    demotion_risk: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    revenue_amount: Mapped[Decimal | None]
    revenue_currency: Mapped[str | None] = mapped_column(sa.String(3))
    certified_staff: Mapped[int | None]
    status: Mapped[str] = mapped_column(sa.String(16))
    applied_by: Mapped[str | None] = mapped_column(sa.String(200))
    applied_at: Mapped[datetime | None]
    tier_change_id: Mapped[uuid.UUID | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

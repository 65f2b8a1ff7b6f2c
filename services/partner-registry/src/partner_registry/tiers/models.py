"""The tier ladder and partners' tier history, as stored (see migration registry0004)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from prm_contracts.tiers import TierChangeSource
from prm_kit.db import ExactDecimal, JSONDocument
from sqlalchemy.orm import Mapped, mapped_column

from partner_registry.db import Base


class Tier(Base):
    """A rung of the ladder; partners hold its `key` in `partner.tier`."""

    __tablename__ = "tier"
    __table_args__ = (
        sa.UniqueConstraint("key"),
        sa.UniqueConstraint("rank"),
        sa.CheckConstraint("rank >= 1", name="rank"),
        sa.CheckConstraint(
            "(min_revenue_amount IS NULL) = (min_revenue_currency IS NULL)", name="min_revenue"
        ),
        sa.CheckConstraint(
            "min_certified_staff IS NULL OR min_certified_staff >= 0", name="min_certified_staff"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(100))
    rank: Mapped[int]
    min_revenue_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(19, 4))
    min_revenue_currency: Mapped[str | None] = mapped_column(sa.String(3))
    min_certified_staff: Mapped[int | None]
    # [{"name": ..., "description": ...}]
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    benefits_description: Mapped[str | None] = mapped_column(sa.Text())
    # 0 to 100 by the contract; no CHECK, as SQLite holds ExactDecimal values as scaled integers
    discount_percent: Mapped[Decimal | None] = mapped_column(ExactDecimal(7, 4))
    rebate_percent: Mapped[Decimal | None] = mapped_column(ExactDecimal(7, 4))
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PartnerTierChange(Base):
    """One change of a partner's tier: the partner's tier history, with the day it took effect."""

    __tablename__ = "partner_tier_change"
    __table_args__ = (
        sa.CheckConstraint(
            f"source IN ({', '.join(repr(s.value) for s in TierChangeSource)})", name="source"
        ),
        sa.CheckConstraint(
            "(source = 'scoring_recommendation') = (recommendation_id IS NOT NULL)", name="recommendation_id"
        ),
        sa.Index("ix_partner_tier_change_partner_id", "partner_id", "changed_at", "id"),
        # a recommendation is applied once; the service checks first, this catches a race
        sa.Index(
            "uq_partner_tier_change_recommendation_id",
            "recommendation_id",
            unique=True,
            postgresql_where=sa.text("recommendation_id IS NOT NULL"),
            sqlite_where=sa.text("recommendation_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    # keys, not foreign keys: the history keeps the tier a partner held even after the tier is deleted
    from_tier: Mapped[str | None] = mapped_column(sa.String(40))
    to_tier: Mapped[str] = mapped_column(sa.String(40))
    effective_on: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.Text())
    source: Mapped[str] = mapped_column(sa.String(32))
    recommendation_id: Mapped[uuid.UUID | None]
    changed_by: Mapped[str] = mapped_column(sa.String(200))
    changed_at: Mapped[datetime]
    partner_version: Mapped[int]

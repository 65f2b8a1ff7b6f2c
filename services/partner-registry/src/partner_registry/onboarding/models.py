"""Onboarding checklists, as stored (see migration registry0005).

A partner's checklist is stored from its first change on; until then it is the standard items, none done.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partner_registry.db import Base


class OnboardingChecklist(Base):
    __tablename__ = "onboarding_checklist"

    partner_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    items: Mapped[list[OnboardingChecklistItem]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="OnboardingChecklistItem.position"
    )


class OnboardingChecklistItem(Base):
    """One item; `completed_at`/`completed_by` are set together when it is done."""

    __tablename__ = "onboarding_checklist_item"
    __table_args__ = (
        sa.CheckConstraint("(completed_at IS NULL) = (completed_by IS NULL)", name="completion"),
    )

    partner_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("onboarding_checklist.partner_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    standard: Mapped[bool]
    position: Mapped[int]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(sa.String(200))
    note: Mapped[str | None] = mapped_column(sa.Text())

"""A partner's contacts, as stored (see migration registry0002)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from prm_kit.db import one_of
from sqlalchemy.orm import Mapped, mapped_column

from partner_registry.db import Base


class ContactRole(StrEnum):
    PRIMARY = "primary"
    SALES = "sales"
    TECHNICAL = "technical"
    BILLING = "billing"
    MARKETING = "marketing"


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (
        sa.CheckConstraint(one_of("role", ContactRole), name="role"),
        sa.Index("ix_contact_partner_id", "partner_id", "created_at", "id"),
        # at most one primary contact per partner; the service checks first, this catches a race
        sa.Index(
            "uq_contact_one_primary",
            "partner_id",
            unique=True,
            postgresql_where=sa.text("role = 'primary'"),
            sqlite_where=sa.text("role = 'primary'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    role: Mapped[str] = mapped_column(sa.String(20))
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

"""Certifications of partners and their people, as stored (see migration registry0004)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from partner_registry.db import Base


class Certification(Base):
    __tablename__ = "certification"
    __table_args__ = (
        sa.CheckConstraint("expires_on IS NULL OR expires_on > issued_on", name="expires_on"),
        sa.Index("ix_certification_partner_id", "partner_id", "issued_on", "id"),
        # the "expiring within N days" query across all partners
        sa.Index("ix_certification_expires_on", "expires_on", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    # a person's certificate leaves with the person: removing the contact removes it
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    programme: Mapped[str] = mapped_column(sa.String(200))
    level: Mapped[str | None] = mapped_column(sa.String(100))
    issued_on: Mapped[date]
    expires_on: Mapped[date | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

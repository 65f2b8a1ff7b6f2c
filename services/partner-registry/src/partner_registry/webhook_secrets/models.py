"""Partners' webhook signing secrets, as stored (see migration registry0005).

The secret itself is kept only encrypted (`ciphertext`, Fernet under a key derived from the settings): it
must be readable again to hand to analytics, so a hash would not do, and a copy of the database alone does
not reveal it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from partner_registry.db import Base


class PartnerWebhookSecret(Base):
    """Valid from `created_at` until `expires_at` (open while null)."""

    __tablename__ = "partner_webhook_secret"
    __table_args__ = (sa.Index("ix_partner_webhook_secret_partner_id", "partner_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    ciphertext: Mapped[str] = mapped_column(sa.Text())
    fingerprint: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.String(200))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(sa.String(200))

"""The `api_key` table: one row per key, its secret only as a digest."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from prm_kit.db import JSONDocument
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    prefix: Mapped[str] = mapped_column(String(12), unique=True)
    secret_digest: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSONDocument)
    partner_id: Mapped[UUID | None]
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.revoked_at is None

"""The vendor's direct (house) accounts, as stored (see migration registry0003)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from partner_registry.db import Base


class HouseAccount(Base):
    __tablename__ = "house_account"
    __table_args__ = (
        sa.UniqueConstraint("customer_domain"),
        sa.Index("ix_house_account_created_at", "created_at", "id"),
        sa.Index("ix_house_account_country_created_at", "country", "created_at", "id"),  # registry0009
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_name: Mapped[str] = mapped_column(sa.String(200))
    # matching.normalise_name of customer_name
    customer_name_key: Mapped[str] = mapped_column(sa.String(200))
    customer_domain: Mapped[str] = mapped_column(sa.String(253))
    country: Mapped[str] = mapped_column(sa.String(2))
    notes: Mapped[str | None] = mapped_column(sa.Text())
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class HouseAccountNameToken(Base):
    """The customer tokens (matching.customer_tokens of name and domain) of a house account: look-alike
    customers are found by index."""

    __tablename__ = "house_account_name_token"

    token: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    house_account_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("house_account.id", ondelete="CASCADE"), primary_key=True
    )

"""Partners, their specialisations and their history, as stored (see migration registry0002)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from prm_contracts.partners import PartnerStatus, PartnerType
from prm_kit.db import ExactDecimal, JSONDocument, one_of
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partner_registry.db import Base


class HistoryKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    STATUS_CHANGED = "status_changed"
    CONTACT_ADDED = "contact_added"
    CONTACT_UPDATED = "contact_updated"
    CONTACT_REMOVED = "contact_removed"
    TERRITORY_ADDED = "territory_added"
    TERRITORY_UPDATED = "territory_updated"
    TERRITORY_REMOVED = "territory_removed"
    TIER_CHANGED = "tier_changed"


class Partner(Base):
    __tablename__ = "partner"
    __table_args__ = (
        sa.CheckConstraint(one_of("partner_type", PartnerType), name="partner_type"),
        sa.CheckConstraint(one_of("status", PartnerStatus), name="status"),
        sa.CheckConstraint(
            "(annual_revenue_amount IS NULL) = (annual_revenue_currency IS NULL)", name="annual_revenue"
        ),
        sa.UniqueConstraint("country", "registration_number_key"),
        sa.Index("ix_partner_status", "status"),
        # the portal's filtered pages in the default order (registry0009): the filter's equalities, then the
        # keyset, so a page reads its 51 index entries in order instead of filtering a walk of every name
        sa.Index(
            "ix_partner_country_status_display_name",
            "country",
            "status",
            sa.text("lower(display_name)"),
            "id",
        ),
        sa.Index(
            "ix_partner_partner_type_status_display_name",
            "partner_type",
            "status",
            sa.text("lower(display_name)"),
            "id",
        ),
        sa.Index("ix_partner_tier_display_name", "tier", sa.text("lower(display_name)"), "id"),
        sa.Index("ix_partner_country_region", "country", "region"),
        sa.Index("ix_partner_region", "region"),
        sa.Index("ix_partner_registration_number_key", "registration_number_key"),
        sa.Index("ix_partner_website_domain", "website_domain"),
        sa.Index("ix_partner_created_at", "created_at", "id"),
        sa.Index("ix_partner_display_name_lower", sa.text("lower(display_name)"), "id"),
        sa.Index("ix_partner_legal_name_lower", sa.text("lower(legal_name)"), "id"),
        # PostgreSQL also has GIN trigram indexes on lower(display_name) and lower(legal_name) for the
        # name search (LIKE '%…%'); they exist only in the migration, as SQLite has no such index.
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(sa.String(200))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    partner_type: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(32))
    status_changed_at: Mapped[datetime]
    status_reason: Mapped[str | None] = mapped_column(sa.Text())
    tier: Mapped[str | None] = mapped_column(sa.String(40))
    country: Mapped[str] = mapped_column(sa.String(2))
    region: Mapped[str | None] = mapped_column(sa.String(100))
    registration_number: Mapped[str | None] = mapped_column(sa.String(64))
    # upper-case letters and digits only: "HRB 123-456" and "hrb123456" are the same number
    registration_number_key: Mapped[str | None] = mapped_column(sa.String(64))
    website_domain: Mapped[str | None] = mapped_column(sa.String(253))
    year_founded: Mapped[int | None]
    employee_count: Mapped[int | None]
    annual_revenue_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(19, 4))
    annual_revenue_currency: Mapped[str | None] = mapped_column(sa.String(3))
    segments_served: Mapped[list[str]] = mapped_column(JSONDocument)
    custom_attributes: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    specialisations: Mapped[list[PartnerSpecialisation]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(PartnerSpecialisation.kind, PartnerSpecialisation.position)",
    )


class PartnerSpecialisation(Base):
    """One product line or industry of a partner; a row each so that the list filter can use an index."""

    __tablename__ = "partner_specialisation"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('product_line', 'industry')", name="kind"),
        sa.Index("ix_partner_specialisation_value_key", "value_key", "partner_id"),
    )

    partner_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    # case-folded, single-spaced: what the filter and the uniqueness compare
    value_key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int]


class PartnerHistoryEntry(Base):
    """One change to a partner: who made it, when, what changed (and for a transition, why)."""

    __tablename__ = "partner_history_entry"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", HistoryKind), name="kind"),
        sa.Index("ix_partner_history_entry_partner_id", "partner_id", "occurred_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(sa.String(200))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    from_status: Mapped[str | None] = mapped_column(sa.String(32))
    to_status: Mapped[str | None] = mapped_column(sa.String(32))
    reason: Mapped[str | None] = mapped_column(sa.Text())
    # no foreign key: the entry outlives a removed contact
    contact_id: Mapped[uuid.UUID | None]
    # no foreign key either: the entry outlives a removed territory
    territory_id: Mapped[uuid.UUID | None]
    partner_version: Mapped[int]

"""Partners, their specialisations, contacts and history; idempotency records.

Revision ID: registry0002
Revises: registry0001
Create Date: 2026-11-27

Value lists of the CHECK constraints are written out here, not imported: a migration describes the schema
as it was at this revision, whatever the enums in the code become.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, JSONDocument, UTCDateTime
from prm_kit.idempotency import create_idempotency_table_v1, drop_idempotency_table_v1

revision: str = "registry0002"
down_revision: str | None = "registry0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTNER_TYPES = ("distributor", "reseller", "var", "system_integrator", "msp", "referral", "agent")
PARTNER_STATUSES = ("prospect", "applied", "onboarding", "active", "suspended", "terminated")
HISTORY_KINDS = (
    "created",
    "updated",
    "status_changed",
    "contact_added",
    "contact_updated",
    "contact_removed",
)
CONTACT_ROLES = ("primary", "sales", "technical", "billing", "marketing")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "partner",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("legal_name", sa.String(200), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("partner_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_changed_at", UTCDateTime(), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("tier", sa.String(40), nullable=True),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("registration_number", sa.String(64), nullable=True),
        sa.Column("registration_number_key", sa.String(64), nullable=True),
        sa.Column("website_domain", sa.String(253), nullable=True),
        sa.Column("year_founded", sa.Integer(), nullable=True),
        sa.Column("employee_count", sa.Integer(), nullable=True),
        sa.Column("annual_revenue_amount", ExactDecimal(19, 4), nullable=True),
        sa.Column("annual_revenue_currency", sa.String(3), nullable=True),
        sa.Column("segments_served", JSONDocument, nullable=False),
        sa.Column("custom_attributes", JSONDocument, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_partner"),
        sa.CheckConstraint(_one_of("partner_type", PARTNER_TYPES), name="ck_partner_partner_type"),
        sa.CheckConstraint(_one_of("status", PARTNER_STATUSES), name="ck_partner_status"),
        sa.CheckConstraint(
            "(annual_revenue_amount IS NULL) = (annual_revenue_currency IS NULL)",
            name="ck_partner_annual_revenue",
        ),
        # NULLs are distinct: partners without a registration number do not collide
        sa.UniqueConstraint(
            "country", "registration_number_key", name="uq_partner_country_registration_number_key"
        ),
    )
    # list filters
    op.create_index("ix_partner_status", "partner", ["status"])
    op.create_index("ix_partner_partner_type", "partner", ["partner_type"])
    op.create_index("ix_partner_tier", "partner", ["tier"])
    op.create_index("ix_partner_country_region", "partner", ["country", "region"])
    op.create_index("ix_partner_region", "partner", ["region"])
    # keyset pages in each sort order
    op.create_index("ix_partner_created_at", "partner", ["created_at", "id"])
    op.create_index("ix_partner_display_name_lower", "partner", [sa.text("lower(display_name)"), "id"])
    op.create_index("ix_partner_legal_name_lower", "partner", [sa.text("lower(legal_name)"), "id"])
    if op.get_bind().dialect.name == "postgresql":
        # name search is lower(name) LIKE '%…%', which trigram GIN indexes answer without a scan
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_partner_display_name_trgm",
            "partner",
            [sa.text("lower(display_name) gin_trgm_ops")],
            postgresql_using="gin",
        )
        op.create_index(
            "ix_partner_legal_name_trgm",
            "partner",
            [sa.text("lower(legal_name) gin_trgm_ops")],
            postgresql_using="gin",
        )

    op.create_table(
        "partner_specialisation",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value_key", sa.String(100), nullable=False),
        sa.Column("value", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "kind", "value_key", name="pk_partner_specialisation"),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name="fk_partner_specialisation_partner_id_partner",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("kind IN ('product_line', 'industry')", name="ck_partner_specialisation_kind"),
    )
    op.create_index(
        "ix_partner_specialisation_value_key", "partner_specialisation", ["value_key", "partner_id"]
    )

    op.create_table(
        "partner_history_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("changes", JSONDocument, nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("partner_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_partner_history_entry"),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name="fk_partner_history_entry_partner_id_partner",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_one_of("kind", HISTORY_KINDS), name="ck_partner_history_entry_kind"),
    )
    op.create_index(
        "ix_partner_history_entry_partner_id", "partner_history_entry", ["partner_id", "occurred_at", "id"]
    )

    op.create_table(
        "contact",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contact"),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name="fk_contact_partner_id_partner", ondelete="CASCADE"
        ),
        sa.CheckConstraint(_one_of("role", CONTACT_ROLES), name="ck_contact_role"),
    )
    op.create_index("ix_contact_partner_id", "contact", ["partner_id", "created_at", "id"])
    op.create_index(
        "uq_contact_one_primary",
        "contact",
        ["partner_id"],
        unique=True,
        postgresql_where=sa.text("role = 'primary'"),
        sqlite_where=sa.text("role = 'primary'"),
    )

    create_idempotency_table_v1(op)


def downgrade() -> None:
    drop_idempotency_table_v1(op)
    op.drop_index("uq_contact_one_primary", table_name="contact")
    op.drop_index("ix_contact_partner_id", table_name="contact")
    op.drop_table("contact")
    op.drop_index("ix_partner_history_entry_partner_id", table_name="partner_history_entry")
    op.drop_table("partner_history_entry")
    op.drop_index("ix_partner_specialisation_value_key", table_name="partner_specialisation")
    op.drop_table("partner_specialisation")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_partner_legal_name_trgm", table_name="partner")
        op.drop_index("ix_partner_display_name_trgm", table_name="partner")
        # pg_trgm stays: other objects of the database may have come to use it
    for index in (
        "ix_partner_legal_name_lower",
        "ix_partner_display_name_lower",
        "ix_partner_created_at",
        "ix_partner_region",
        "ix_partner_country_region",
        "ix_partner_tier",
        "ix_partner_partner_type",
        "ix_partner_status",
    ):
        op.drop_index(index, table_name="partner")
    op.drop_table("partner")

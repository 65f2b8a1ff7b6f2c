"""The replica of sales lines and date-effective partner history incentives computes from (see
incentives/replica/models.py).

Revision ID: incentives0010
Revises: incentives0009
Create Date: 2026-12-01

Value lists of the CHECK constraints are written out here, not imported (see registry0002).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, UTCDateTime

revision: str = "incentives0010"
down_revision: str | None = "incentives0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SALES_KINDS = ("sale", "return", "credit_note")
PAYMENT_STATUSES = ("invoiced", "paid")
FLAG_STATUSES = ("none", "open", "confirmed", "dismissed")
PARTNER_STATUSES = ("prospect", "applied", "onboarding", "active", "suspended", "terminated")
DEAL_STATUSES = ("pending_review", "approved", "rejected", "won", "lost", "expired")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "sales_line",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("payment_status", sa.String(20), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("product_sku", sa.String(100), nullable=False),
        sa.Column("product_category", sa.String(100), nullable=False),
        sa.Column("quantity", ExactDecimal(19, 4), nullable=False),
        sa.Column("amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("deal_registration_id", sa.Uuid(), nullable=True),
        sa.Column("original_external_id", sa.String(200), nullable=True),
        sa.Column("flag_status", sa.String(20), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_one_of("kind", SALES_KINDS), name=op.f("ck_sales_line_kind")),
        sa.CheckConstraint(
            _one_of("payment_status", PAYMENT_STATUSES), name=op.f("ck_sales_line_payment_status")
        ),
        sa.CheckConstraint(_one_of("flag_status", FLAG_STATUSES), name=op.f("ck_sales_line_flag_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_line")),
        sa.UniqueConstraint("partner_id", "external_id", name=op.f("uq_sales_line_partner_id_external_id")),
    )
    op.create_index("ix_sales_line_partner_occurred_on", "sales_line", ["partner_id", "occurred_on"])
    op.create_index("ix_sales_line_occurred_on", "sales_line", ["occurred_on"])
    op.create_table(
        "partner_profile",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("partner_type", sa.String(30), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", name=op.f("pk_partner_profile")),
    )
    op.create_table(
        "partner_tier_history",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("tier", sa.String(40), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "valid_from", name=op.f("pk_partner_tier_history")),
    )
    op.create_table(
        "partner_status_history",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.CheckConstraint(
            _one_of("status", PARTNER_STATUSES), name=op.f("ck_partner_status_history_status")
        ),
        sa.PrimaryKeyConstraint("partner_id", "valid_from", name=op.f("pk_partner_status_history")),
    )
    op.create_table(
        "deal_registration_state",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("protected_until", UTCDateTime(), nullable=True),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_one_of("status", DEAL_STATUSES), name=op.f("ck_deal_registration_state_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_registration_state")),
    )


def downgrade() -> None:
    op.drop_table("deal_registration_state")
    op.drop_table("partner_status_history")
    op.drop_table("partner_tier_history")
    op.drop_table("partner_profile")
    op.drop_index("ix_sales_line_occurred_on", table_name="sales_line")
    op.drop_index("ix_sales_line_partner_occurred_on", table_name="sales_line")
    op.drop_table("sales_line")

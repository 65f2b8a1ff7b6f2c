"""Calculation runs and their per-partner payouts (per-line traces are derived on read, never stored).

Revision ID: incentives0013
Revises: incentives0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, JSONDocument, UTCDateTime

revision: str = "incentives0013"
down_revision: str | None = "incentives0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calculation_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("end_day", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("fx_rates", JSONDocument, nullable=False),
        sa.Column("targets", JSONDocument, nullable=False),
        sa.Column("budget_factor", sa.String(80), nullable=True),
        sa.Column("payout_total", ExactDecimal(19, 4), nullable=False),
        sa.Column("mdf_accrual_total", ExactDecimal(19, 4), nullable=False),
        sa.Column("partner_count", sa.Integer(), nullable=False),
        sa.Column("held_lines", sa.Integer(), nullable=False),
        sa.Column("computed_by", sa.String(200), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("paid_by", sa.String(200), nullable=True),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'approved', 'paid')", name=op.f("ck_calculation_run_status")),
        sa.CheckConstraint(
            "(status = 'draft') = (approved_at IS NULL AND approved_by IS NULL)",
            name=op.f("ck_calculation_run_approved"),
        ),
        sa.CheckConstraint(
            "(status = 'paid') = (paid_at IS NOT NULL AND paid_by IS NOT NULL)",
            name=op.f("ck_calculation_run_paid"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_calculation_run_programme_id_programme"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["programme_version.id"],
            name=op.f("fk_calculation_run_version_id_programme_version"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calculation_run")),
        sa.UniqueConstraint("programme_id", "period", name=op.f("uq_calculation_run_programme_id_period")),
    )
    op.create_table(
        "calculation_payout",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("mdf_accrual", ExactDecimal(19, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("breakdown", JSONDocument, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["calculation_run.id"],
            name=op.f("fk_calculation_payout_run_id_calculation_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "partner_id", name=op.f("pk_calculation_payout")),
    )


def downgrade() -> None:
    op.drop_table("calculation_payout")
    op.drop_table("calculation_run")

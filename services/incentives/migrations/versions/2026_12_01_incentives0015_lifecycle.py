"""Run lifecycle per payout (decision, hold reason, who/when, the calculated amount before adjustments) and
payout adjustments (manual, clawback, delta).

Revision ID: incentives0015
Revises: incentives0014
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, UTCDateTime

revision: str = "incentives0015"
down_revision: str | None = "incentives0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calculation_payout") as batch:
        batch.add_column(sa.Column("calculated", ExactDecimal(19, 4), nullable=False, server_default="0"))
        batch.add_column(sa.Column("status", sa.String(10), nullable=False, server_default="pending"))
        batch.add_column(sa.Column("hold_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("decided_at", UTCDateTime(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_calculation_payout_status"), "status IN ('pending', 'approved', 'held', 'paid')"
        )
        batch.create_check_constraint(
            op.f("ck_calculation_payout_held"), "(status = 'held') = (hold_reason IS NOT NULL)"
        )
    with op.batch_alter_table("calculation_payout") as batch:
        batch.alter_column("calculated", server_default=None)
        batch.alter_column("status", server_default=None)
    op.create_table(
        "payout_adjustment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source_line_id", sa.Uuid(), nullable=True),
        sa.Column("original_line_id", sa.Uuid(), nullable=True),
        sa.Column("source_run_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('manual', 'clawback', 'delta')", name=op.f("ck_payout_adjustment_kind")),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_payout_adjustment_programme_id_programme"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_adjustment")),
    )
    op.create_index(
        "ix_payout_adjustment_programme_id_period", "payout_adjustment", ["programme_id", "period"]
    )


def downgrade() -> None:
    op.drop_index("ix_payout_adjustment_programme_id_period", table_name="payout_adjustment")
    op.drop_table("payout_adjustment")
    with op.batch_alter_table("calculation_payout") as batch:
        batch.drop_constraint(op.f("ck_calculation_payout_held"), type_="check")
        batch.drop_constraint(op.f("ck_calculation_payout_status"), type_="check")
        for column in ("decided_at", "decided_by", "hold_reason", "status", "calculated"):
            batch.drop_column(column)

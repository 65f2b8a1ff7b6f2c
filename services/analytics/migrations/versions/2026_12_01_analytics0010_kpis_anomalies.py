"""KPI rollups and the anomaly guard: the partner x customer x month rollup (filled from the lines already
stored) and anomaly flags (issue 10).

Revision ID: analytics0010
Revises: analytics0009
Create Date: 2026-12-01

Value lists of the CHECK constraints are written out here, not imported (see registry0002).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import UTCDateTime

revision: str = "analytics0010"
down_revision: str | None = "analytics0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAG_STATUSES = ("open", "confirmed", "dismissed")


def upgrade() -> None:
    op.create_table(
        "sales_customer_month_rollup",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("customer_key", sa.String(600), nullable=False),
        sa.Column("sale_line_count", sa.Integer(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "month", "customer_key", name="pk_sales_customer_month_rollup"),
    )
    op.create_index(
        "ix_sales_customer_month_rollup_customer",
        "sales_customer_month_rollup",
        ["partner_id", "customer_key"],
    )
    month = (
        "date_trunc('month', occurred_on)::date"
        if op.get_bind().dialect.name == "postgresql"
        else "date(occurred_on, 'start of month')"
    )
    # Lines stored before this revision count too, so retention is right from the first read.
    op.execute(
        "INSERT INTO sales_customer_month_rollup (partner_id, month, customer_key, sale_line_count, line_count) "  # noqa: S608 - fixed SQL; {month} is one of two literals
        f"SELECT partner_id, {month}, customer_key, SUM(CASE WHEN kind = 'sale' THEN 1 ELSE 0 END), COUNT(*) "
        f"FROM sales_line GROUP BY partner_id, {month}, customer_key"
    )

    op.create_table(
        "anomaly_flag",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("line_external_id", sa.String(200), nullable=False),
        sa.Column("line_occurred_on", sa.Date(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("review_note", sa.String(2000), nullable=True),
        sa.Column("reviewed_by", sa.String(200), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            f"status IN ({', '.join(repr(s) for s in FLAG_STATUSES)})", name="ck_anomaly_flag_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_anomaly_flag"),
        sa.UniqueConstraint("line_id", "code", name="uq_anomaly_flag_line_id_code"),
    )
    op.create_index("ix_anomaly_flag_status", "anomaly_flag", ["status", "created_at", "id"])
    op.create_index("ix_anomaly_flag_partner_id", "anomaly_flag", ["partner_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_anomaly_flag_partner_id", table_name="anomaly_flag")
    op.drop_index("ix_anomaly_flag_status", table_name="anomaly_flag")
    op.drop_table("anomaly_flag")
    op.drop_index("ix_sales_customer_month_rollup_customer", table_name="sales_customer_month_rollup")
    op.drop_table("sales_customer_month_rollup")

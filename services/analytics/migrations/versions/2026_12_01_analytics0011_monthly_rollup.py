"""The partner x month x currency sales rollup, filled from the daily rollup (issue 10, KPI reads).

Revision ID: analytics0011
Revises: analytics0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal

revision: str = "analytics0011"
down_revision: str | None = "analytics0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SUMS = (
    "gross_amount",
    "returns_amount",
    "costed_amount",
    "cost_amount",
    "line_count",
    "sale_line_count",
    "return_line_count",
    "costed_line_count",
)


def upgrade() -> None:
    op.create_table(
        "sales_monthly_rollup",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("gross_amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("returns_amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("costed_amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("cost_amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("sale_line_count", sa.Integer(), nullable=False),
        sa.Column("return_line_count", sa.Integer(), nullable=False),
        sa.Column("costed_line_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "month", "currency", name="pk_sales_monthly_rollup"),
    )
    op.create_index(
        "ix_sales_monthly_rollup_month", "sales_monthly_rollup", ["month", "partner_id", "currency"]
    )
    month = (
        "date_trunc('month', day)::date"
        if op.get_bind().dialect.name == "postgresql"
        else "date(day, 'start of month')"
    )
    columns = ", ".join(_SUMS)
    sums = ", ".join(f"SUM({name})" for name in _SUMS)
    # Sales stored before this revision count too, so a month's reads agree with the daily rollup at once.
    op.execute(
        f"INSERT INTO sales_monthly_rollup (partner_id, month, currency, {columns}) "  # noqa: S608 - fixed SQL; {month} is one of two literals
        f"SELECT partner_id, {month}, currency, {sums} FROM sales_daily_rollup "
        f"GROUP BY partner_id, {month}, currency"
    )


def downgrade() -> None:
    op.drop_index("ix_sales_monthly_rollup_month", table_name="sales_monthly_rollup")
    op.drop_table("sales_monthly_rollup")

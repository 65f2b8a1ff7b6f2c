"""Improvement plans and their goals, each goal with its latest progress.

Revision ID: scoring0011
Revises: scoring0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, UTCDateTime

revision: str = "scoring0011"
down_revision: str | None = "scoring0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# frozen here (not imported from the app): a migration keeps producing what it produced once
KPIS = (
    "revenue",
    "gross_profit",
    "gross_margin",
    "growth_previous_period",
    "growth_year_over_year",
    "target_attainment",
    "market_share",
    "new_customers",
    "retention_rate",
    "customer_acquisition_cost",
    "customer_lifetime_value",
    "nps",
    "nps_responses",
    "csat",
    "csat_responses",
    "deal_registration_win_rate",
    "returns_ratio",
    "cost_coverage",
    "active_customers",
    "csat_satisfied_share",
)
AMOUNT_KPIS = ("customer_acquisition_cost", "customer_lifetime_value", "gross_profit", "revenue")
GOAL_STATES = ("on_track", "off_track", "met", "missed", "no_data")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    op.create_table(
        "improvement_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("last_checked_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(200), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_in("status", ("open", "succeeded", "failed")), name="ck_improvement_plan_status"),
        sa.CheckConstraint(
            "(status = 'open') = (closed_at IS NULL AND closed_by IS NULL)", name="ck_improvement_plan_closed"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_improvement_plan"),
    )
    op.create_index("ix_improvement_plan_partner_id", "improvement_plan", ["partner_id", "created_at", "id"])
    op.create_index("ix_improvement_plan_status", "improvement_plan", ["status", "created_at", "id"])
    op.create_table(
        "improvement_goal",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("kpi", sa.String(40), nullable=False),
        sa.Column("target", ExactDecimal(19, 6), nullable=False),
        sa.Column("target_currency", sa.String(3), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("baseline", ExactDecimal(19, 6), nullable=True),
        sa.Column("baseline_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(16), nullable=True),
        sa.Column("value", ExactDecimal(19, 6), nullable=True),
        sa.Column("expected", ExactDecimal(19, 6), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("measured_from", sa.Date(), nullable=True),
        sa.Column("measured_to", sa.Date(), nullable=True),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(_in("kpi", KPIS), name="ck_improvement_goal_kpi"),
        sa.CheckConstraint(
            f"(target_currency IS NOT NULL) = ({_in('kpi', AMOUNT_KPIS)})",
            name="ck_improvement_goal_currency",
        ),
        sa.CheckConstraint(f"state IS NULL OR {_in('state', GOAL_STATES)}", name="ck_improvement_goal_state"),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["improvement_plan.id"],
            name="fk_improvement_goal_plan_id_improvement_plan",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "position", name="pk_improvement_goal"),
    )


def downgrade() -> None:
    op.drop_table("improvement_goal")
    op.drop_index("ix_improvement_plan_status", table_name="improvement_plan")
    op.drop_index("ix_improvement_plan_partner_id", table_name="improvement_plan")
    op.drop_table("improvement_plan")

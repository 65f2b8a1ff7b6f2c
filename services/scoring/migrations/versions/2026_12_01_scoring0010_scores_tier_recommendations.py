"""Current scores, tier recommendations and event-driven refresh: `partner_score` (one row per partner, the
answer of the score API ready to send), `score_refresh` (partners whose score is stale) and
`tier_recommendation` (at most one open per partner).

Revision ID: scoring0010
Revises: scoring0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, JSONDocument, UTCDateTime

revision: str = "scoring0010"
down_revision: str | None = "scoring0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_score",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("partner_type", sa.String(40), nullable=True),
        sa.Column("status", sa.String(40), nullable=True),
        sa.Column("tier", sa.String(40), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("health_rank", sa.SmallInteger(), nullable=False),
        sa.Column("evaluation", JSONDocument, nullable=True),
        sa.Column("health", JSONDocument, nullable=True),
        sa.Column("tier_standing", JSONDocument, nullable=True),
        sa.Column("failing_since", JSONDocument, nullable=False),
        sa.Column("facts_as_of", UTCDateTime(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("health_rank BETWEEN 0 AND 3", name="ck_partner_score_health_rank"),
        sa.PrimaryKeyConstraint("partner_id", name="pk_partner_score"),
    )
    op.create_index("ix_partner_score_health_rank", "partner_score", ["health_rank", "partner_id"])
    op.create_index("ix_partner_score_facts_as_of", "partner_score", ["facts_as_of"])

    op.create_table(
        "score_refresh",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(60), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("partner_id", name="pk_score_refresh"),
    )
    op.create_index("ix_score_refresh_next_attempt_at", "score_refresh", ["next_attempt_at"])

    op.create_table(
        "tier_recommendation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("current_tier", sa.String(40), nullable=True),
        sa.Column("recommended_tier", sa.String(40), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reasons", JSONDocument, nullable=False),
        sa.Column("gap", JSONDocument, nullable=False),
        sa.Column("demotion_risk", JSONDocument, nullable=False),
        sa.Column("revenue_amount", ExactDecimal(19, 4), nullable=True),
        sa.Column("revenue_currency", sa.String(3), nullable=True),
        sa.Column("certified_staff", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("applied_by", sa.String(200), nullable=True),
        sa.Column("applied_at", UTCDateTime(), nullable=True),
        sa.Column("tier_change_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("action IN ('promote', 'keep', 'demote')", name="ck_tier_recommendation_action"),
        sa.CheckConstraint(
            "status IN ('open', 'applied', 'superseded')", name="ck_tier_recommendation_status"
        ),
        sa.CheckConstraint(
            "(revenue_amount IS NULL) = (revenue_currency IS NULL)",
            name="ck_tier_recommendation_revenue_currency",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tier_recommendation"),
    )
    op.create_index(
        "uq_tier_recommendation_open_partner_id",
        "tier_recommendation",
        ["partner_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index("ix_tier_recommendation_created_at", "tier_recommendation", ["created_at", "id"])
    op.create_index("ix_tier_recommendation_partner_id", "tier_recommendation", ["partner_id", "created_at"])


def downgrade() -> None:
    op.drop_table("tier_recommendation")
    op.drop_table("score_refresh")
    op.drop_table("partner_score")

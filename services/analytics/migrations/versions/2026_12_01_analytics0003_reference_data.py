"""Reference data and inputs of KPIs: FX rates, targets, market sizes, survey responses, acquisition spend,
and the replica of the registry's partner dimensions and deal-registration outcomes (issue 10).

Revision ID: analytics0003
Revises: analytics0002
Create Date: 2026-12-01

Value lists of the CHECK constraints are written out here, not imported (see registry0002).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, UTCDateTime

revision: str = "analytics0003"
down_revision: str | None = "analytics0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERIOD_KINDS = ("year", "quarter", "month")
TARGET_METRICS = ("revenue", "gross_profit")
PARTNER_TYPES = ("distributor", "reseller", "var", "system_integrator", "msp", "referral", "agent")
PARTNER_STATUSES = ("prospect", "applied", "onboarding", "active", "suspended", "terminated")
DEAL_STATUSES = ("pending_review", "approved", "rejected", "won", "lost", "expired")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _money_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
    ]


def _period_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("period_kind", sa.String(10), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
    ]


def _versioned_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "fx_rate",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("base", sa.String(3), nullable=False),
        sa.Column("quote", sa.String(3), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("rate", ExactDecimal(18, 10), nullable=False),
        *_versioned_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_fx_rate"),
        sa.UniqueConstraint("base", "quote", "effective_on", name="uq_fx_rate_base_quote_effective_on"),
        sa.CheckConstraint("rate > 0", name="ck_fx_rate_rate_positive"),
        sa.CheckConstraint("base <> quote", name="ck_fx_rate_two_currencies"),
    )
    op.create_index("ix_fx_rate_effective_on", "fx_rate", ["effective_on", "id"])

    op.create_table(
        "target",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("metric", sa.String(20), nullable=False),
        *_period_columns(),
        *_money_columns(),
        *_versioned_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_target"),
        sa.UniqueConstraint("partner_id", "metric", "period", name="uq_target_partner_id_metric_period"),
        sa.CheckConstraint(_one_of("metric", TARGET_METRICS), name="ck_target_metric"),
        sa.CheckConstraint(_one_of("period_kind", PERIOD_KINDS), name="ck_target_period_kind"),
        sa.CheckConstraint("amount >= 0", name="ck_target_amount_not_negative"),
    )
    op.create_index("ix_target_period", "target", ["period", "id"])

    op.create_table(
        "market_size",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region", sa.String(20), nullable=False),
        sa.Column("segment", sa.String(100), nullable=False),
        *_period_columns(),
        *_money_columns(),
        *_versioned_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_market_size"),
        sa.UniqueConstraint("region", "segment", "period", name="uq_market_size_region_segment_period"),
        sa.CheckConstraint(_one_of("period_kind", PERIOD_KINDS), name="ck_market_size_period_kind"),
        sa.CheckConstraint("amount > 0", name="ck_market_size_amount_positive"),
    )
    op.create_index("ix_market_size_period", "market_size", ["period", "id"])

    op.create_table(
        "acquisition_spend",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        *_period_columns(),
        *_money_columns(),
        *_versioned_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_acquisition_spend"),
        sa.UniqueConstraint("partner_id", "period", name="uq_acquisition_spend_partner_id_period"),
        sa.CheckConstraint(_one_of("period_kind", PERIOD_KINDS), name="ck_acquisition_spend_period_kind"),
        sa.CheckConstraint("amount >= 0", name="ck_acquisition_spend_amount_not_negative"),
    )
    op.create_index("ix_acquisition_spend_period", "acquisition_spend", ["period", "id"])

    op.create_table(
        "survey_response",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("survey_id", sa.String(100), nullable=False),
        sa.Column("respondent_id", sa.String(200), nullable=False),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("responded_on", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_survey_response"),
        sa.UniqueConstraint(
            "partner_id",
            "survey_id",
            "respondent_id",
            name="uq_survey_response_partner_id_survey_id_respondent_id",
        ),
        sa.CheckConstraint("nps IS NULL OR (nps >= 0 AND nps <= 10)", name="ck_survey_response_nps_range"),
        sa.CheckConstraint("csat IS NULL OR (csat >= 1 AND csat <= 5)", name="ck_survey_response_csat_range"),
        sa.CheckConstraint("nps IS NOT NULL OR csat IS NOT NULL", name="ck_survey_response_has_score"),
    )
    op.create_index("ix_survey_response_partner_id", "survey_response", ["partner_id", "responded_on", "id"])
    op.create_index("ix_survey_response_responded_on", "survey_response", ["responded_on", "id"])

    op.create_table(
        "partner_dimension",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("partner_type", sa.String(30), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("website_domain", sa.String(253), nullable=True),
        sa.Column("record_as_of", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("status_as_of", UTCDateTime(), nullable=True),
        sa.Column("tier", sa.String(40), nullable=True),
        sa.Column("tier_as_of", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", name="pk_partner_dimension"),
        sa.CheckConstraint(_one_of("partner_type", PARTNER_TYPES), name="ck_partner_dimension_partner_type"),
        sa.CheckConstraint(_one_of("status", PARTNER_STATUSES), name="ck_partner_dimension_status"),
    )
    op.create_index("ix_partner_dimension_tier", "partner_dimension", ["tier"])

    op.create_table(
        "partner_status_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_partner_status_history"),
        sa.UniqueConstraint(
            "partner_id",
            "valid_from",
            "status",
            name="uq_partner_status_history_partner_id_valid_from_status",
        ),
        sa.CheckConstraint(_one_of("status", PARTNER_STATUSES), name="ck_partner_status_history_status"),
    )

    op.create_table(
        "partner_tier_history",
        sa.Column("tier_change_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("from_tier", sa.String(40), nullable=True),
        sa.Column("tier", sa.String(40), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tier_change_id", name="pk_partner_tier_history"),
    )
    op.create_index(
        "ix_partner_tier_history_partner_id", "partner_tier_history", ["partner_id", "valid_from"]
    )

    op.create_table(
        "deal_registration_outcome",
        sa.Column("deal_registration_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("expired_at", UTCDateTime(), nullable=True),
        sa.Column("estimated_amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("estimated_currency", sa.String(3), nullable=False),
        sa.Column("final_amount", ExactDecimal(19, 4), nullable=True),
        sa.Column("final_currency", sa.String(3), nullable=True),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("deal_registration_id", name="pk_deal_registration_outcome"),
        sa.CheckConstraint(_one_of("status", DEAL_STATUSES), name="ck_deal_registration_outcome_status"),
    )
    op.create_index(
        "ix_deal_registration_outcome_partner_id", "deal_registration_outcome", ["partner_id", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_deal_registration_outcome_partner_id", table_name="deal_registration_outcome")
    op.drop_table("deal_registration_outcome")
    op.drop_index("ix_partner_tier_history_partner_id", table_name="partner_tier_history")
    op.drop_table("partner_tier_history")
    op.drop_table("partner_status_history")
    op.drop_index("ix_partner_dimension_tier", table_name="partner_dimension")
    op.drop_table("partner_dimension")
    op.drop_index("ix_survey_response_responded_on", table_name="survey_response")
    op.drop_index("ix_survey_response_partner_id", table_name="survey_response")
    op.drop_table("survey_response")
    op.drop_index("ix_acquisition_spend_period", table_name="acquisition_spend")
    op.drop_table("acquisition_spend")
    op.drop_index("ix_market_size_period", table_name="market_size")
    op.drop_table("market_size")
    op.drop_index("ix_target_period", table_name="target")
    op.drop_table("target")
    op.drop_index("ix_fx_rate_effective_on", table_name="fx_rate")
    op.drop_table("fx_rate")

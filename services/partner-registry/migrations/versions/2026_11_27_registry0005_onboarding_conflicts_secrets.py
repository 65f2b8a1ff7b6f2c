"""Partner applications, onboarding checklists, channel-conflict cases and partner webhook secrets.

Revision ID: registry0005
Revises: registry0004
Create Date: 2026-11-27

Only `partner` is referenced from earlier revisions. Deal registrations and territories are referenced by
id only (JSON lists on conflict_case), deliberately without foreign keys. Value lists of the CHECK
constraints are written out here, not imported (see registry0002).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import JSONDocument, UTCDateTime

revision: str = "registry0005"
down_revision: str | None = "registry0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPLICATION_STATUSES = ("submitted", "approved", "rejected")
SCREENING_STATUSES = ("pending", "passed", "failed")
CONFLICT_TYPES = ("vertical", "horizontal", "multichannel", "role")
CONFLICT_STAGES = ("reported", "under_review", "mediation", "arbitration", "ruled", "closed")
CONFLICT_OUTCOMES = ("awarded", "shared", "settled", "dismissed", "withdrawn")
ROOT_CAUSES = (
    "product_overlap",
    "territory_overlap",
    "pricing",
    "incentive_misalignment",
    "direct_sales_overlap",
    "role_ambiguity",
    "other",
)
STEP_KINDS = ("opened", "stage_changed", "note")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _partner_fk(table: str, *, cascade: bool = True) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["partner_id"],
        ["partner.id"],
        name=f"fk_{table}_partner_id_partner",
        ondelete="CASCADE" if cascade else None,
    )


def upgrade() -> None:
    op.create_table(
        "partner_application",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("company", JSONDocument, nullable=False),
        sa.Column("questionnaire", JSONDocument, nullable=False),
        sa.Column("screening_status", sa.String(20), nullable=False),
        sa.Column("screening_attempts", sa.Integer(), nullable=False),
        sa.Column("screening_error", sa.Text(), nullable=True),
        sa.Column("screened_at", UTCDateTime(), nullable=True),
        sa.Column("prequalification", JSONDocument, nullable=True),
        sa.Column("evaluation", JSONDocument, nullable=True),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("screening_override_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_partner_application"),
        _partner_fk("partner_application"),
        sa.UniqueConstraint("partner_id", name="uq_partner_application_partner_id"),
        sa.CheckConstraint(_one_of("status", APPLICATION_STATUSES), name="ck_partner_application_status"),
        sa.CheckConstraint(
            _one_of("screening_status", SCREENING_STATUSES), name="ck_partner_application_screening_status"
        ),
    )
    op.create_index("ix_partner_application_created_at", "partner_application", ["created_at", "id"])
    op.create_index("ix_partner_application_status", "partner_application", ["status", "created_at", "id"])

    op.create_table(
        "onboarding_checklist",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", name="pk_onboarding_checklist"),
        _partner_fk("onboarding_checklist"),
    )
    op.create_table(
        "onboarding_checklist_item",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(50), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("standard", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("completed_by", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("partner_id", "key", name="pk_onboarding_checklist_item"),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["onboarding_checklist.partner_id"],
            name="fk_onboarding_checklist_item_partner_id_onboarding_checklist",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "(completed_at IS NULL) = (completed_by IS NULL)", name="ck_onboarding_checklist_item_completion"
        ),
    )

    op.create_table(
        "conflict_case",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("conflict_type", sa.String(20), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("vendor_direct", sa.Boolean(), nullable=False),
        sa.Column("deal_registration_ids", JSONDocument, nullable=False),
        sa.Column("territory_ids", JSONDocument, nullable=False),
        sa.Column("reported_by", sa.String(200), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.Column("stage_changed_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("ruling", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("awarded_to", sa.String(36), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conflict_case"),
        sa.CheckConstraint(_one_of("conflict_type", CONFLICT_TYPES), name="ck_conflict_case_conflict_type"),
        sa.CheckConstraint(_one_of("stage", CONFLICT_STAGES), name="ck_conflict_case_stage"),
        sa.CheckConstraint(
            f"outcome IS NULL OR {_one_of('outcome', CONFLICT_OUTCOMES)}", name="ck_conflict_case_outcome"
        ),
        sa.CheckConstraint("(stage = 'closed') = (closed_at IS NOT NULL)", name="ck_conflict_case_closed"),
    )
    # the list's keyset order and the statistics' period filters
    op.create_index("ix_conflict_case_reported_at", "conflict_case", ["reported_at", "id"])
    op.create_index("ix_conflict_case_closed_at", "conflict_case", ["closed_at"])
    op.create_index("ix_conflict_case_stage", "conflict_case", ["stage"])
    op.create_table(
        "conflict_case_party",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "partner_id", name="pk_conflict_case_party"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["conflict_case.id"],
            name="fk_conflict_case_party_case_id_conflict_case",
            ondelete="CASCADE",
        ),
        _partner_fk("conflict_case_party", cascade=False),
    )
    # a partner's own credential sees the cases it is a party to
    op.create_index("ix_conflict_case_party_partner_id", "conflict_case_party", ["partner_id", "case_id"])
    op.create_table(
        "conflict_case_root_cause",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("cause", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "cause", name="pk_conflict_case_root_cause"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["conflict_case.id"],
            name="fk_conflict_case_root_cause_case_id_conflict_case",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_one_of("cause", ROOT_CAUSES), name="ck_conflict_case_root_cause_cause"),
        sa.CheckConstraint(
            "cause <> 'other' OR detail IS NOT NULL", name="ck_conflict_case_root_cause_other_detail"
        ),
    )
    op.create_index("ix_conflict_case_root_cause_cause", "conflict_case_root_cause", ["cause"])
    op.create_table(
        "conflict_case_step",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("from_stage", sa.String(20), nullable=True),
        sa.Column("to_stage", sa.String(20), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("details", JSONDocument, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conflict_case_step"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["conflict_case.id"],
            name="fk_conflict_case_step_case_id_conflict_case",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_one_of("kind", STEP_KINDS), name="ck_conflict_case_step_kind"),
    )
    op.create_index("ix_conflict_case_step_case_id", "conflict_case_step", ["case_id", "occurred_at", "id"])

    op.create_table(
        "partner_webhook_secret",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_partner_webhook_secret"),
        _partner_fk("partner_webhook_secret"),
    )
    op.create_index(
        "ix_partner_webhook_secret_partner_id", "partner_webhook_secret", ["partner_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_partner_webhook_secret_partner_id", table_name="partner_webhook_secret")
    op.drop_table("partner_webhook_secret")
    op.drop_index("ix_conflict_case_step_case_id", table_name="conflict_case_step")
    op.drop_table("conflict_case_step")
    op.drop_index("ix_conflict_case_root_cause_cause", table_name="conflict_case_root_cause")
    op.drop_table("conflict_case_root_cause")
    op.drop_index("ix_conflict_case_party_partner_id", table_name="conflict_case_party")
    op.drop_table("conflict_case_party")
    for index in ("ix_conflict_case_stage", "ix_conflict_case_closed_at", "ix_conflict_case_reported_at"):
        op.drop_index(index, table_name="conflict_case")
    op.drop_table("conflict_case")
    op.drop_table("onboarding_checklist_item")
    op.drop_table("onboarding_checklist")
    op.drop_index("ix_partner_application_status", table_name="partner_application")
    op.drop_index("ix_partner_application_created_at", table_name="partner_application")
    op.drop_table("partner_application")

"""Territories and their conflicts, house accounts, deal registrations (conflicts, name tokens, history).

Revision ID: registry0003
Revises: registry0002
Create Date: 2026-11-27

Also lets the partner history record territory changes: a `territory_id` column and three more kinds in
its CHECK constraint. Value lists are written out, not imported (see registry0002). A later migration that
adds history kinds must list these too. CHECK constraints of the new tables are given their short names, as
in the ORM models; the naming convention makes them `ck_<table>_<name>`.
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, JSONDocument, UTCDateTime

revision: str = "registry0003"
down_revision: str | None = "registry0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEGMENTS = ("consumer", "smb", "mid_market", "enterprise", "public_sector")
DEAL_STATUSES = ("pending_review", "approved", "rejected", "won", "lost", "expired")
CONFLICT_KINDS = (
    "customer_domain",
    "customer_name",
    "product_overlap",
    "house_account",
    "exclusive_territory",
)
DEAL_HISTORY_KINDS = ("submitted", "approved", "rejected", "extended", "expired", "won", "lost")
PARTNER_HISTORY_KINDS_BEFORE = (
    "created",
    "updated",
    "status_changed",
    "contact_added",
    "contact_updated",
    "contact_removed",
)
PARTNER_HISTORY_KINDS = (
    *PARTNER_HISTORY_KINDS_BEFORE,
    "territory_added",
    "territory_updated",
    "territory_removed",
)


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "territory",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("region_key", sa.String(100), nullable=True),
        sa.Column("segment", sa.String(32), nullable=True),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column("scope_key", sa.String(150), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_territory"),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name="fk_territory_partner_id_partner", ondelete="CASCADE"
        ),
        sa.CheckConstraint(f"segment IS NULL OR {_one_of('segment', SEGMENTS)}", name="segment"),
        sa.UniqueConstraint("partner_id", "scope_key", name="uq_territory_partner_id_scope_key"),
    )
    op.create_index("ix_territory_partner_id", "territory", ["partner_id", "created_at", "id"])
    op.create_index("ix_territory_country", "territory", ["country", "region_key"])

    op.create_table(
        "territory_conflict",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("other_territory_id", sa.Uuid(), nullable=False),
        sa.Column("other_partner_id", sa.Uuid(), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("segment", sa.String(32), nullable=True),
        sa.Column("territory_exclusive", sa.Boolean(), nullable=False),
        sa.Column("other_exclusive", sa.Boolean(), nullable=False),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_territory_conflict"),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name="fk_territory_conflict_territory_id_territory",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_territory_id"],
            ["territory.id"],
            name="fk_territory_conflict_other_territory_id_territory",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "territory_id", "other_territory_id", name="uq_territory_conflict_territory_id_other_territory_id"
        ),
    )
    op.create_index("ix_territory_conflict_other_territory_id", "territory_conflict", ["other_territory_id"])
    op.create_index("ix_territory_conflict_detected_at", "territory_conflict", ["detected_at", "id"])
    op.create_index("ix_territory_conflict_partner_id", "territory_conflict", ["partner_id"])
    op.create_index("ix_territory_conflict_other_partner_id", "territory_conflict", ["other_partner_id"])

    op.create_table(
        "house_account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_name", sa.String(200), nullable=False),
        sa.Column("customer_name_key", sa.String(200), nullable=False),
        sa.Column("customer_domain", sa.String(253), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_house_account"),
        sa.UniqueConstraint("customer_domain", name="uq_house_account_customer_domain"),
    )
    op.create_index("ix_house_account_created_at", "house_account", ["created_at", "id"])
    op.create_table(
        "house_account_name_token",
        sa.Column("token", sa.String(100), nullable=False),
        sa.Column("house_account_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("token", "house_account_id", name="pk_house_account_name_token"),
        sa.ForeignKeyConstraint(
            ["house_account_id"],
            ["house_account.id"],
            name="fk_house_account_name_token_house_account_id_house_account",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "deal_registration",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("customer_name", sa.String(200), nullable=False),
        sa.Column("customer_name_key", sa.String(200), nullable=False),
        sa.Column("customer_domain", sa.String(253), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("customer_segment", sa.String(32), nullable=True),
        sa.Column("products", JSONDocument, nullable=False),
        sa.Column("estimated_value_amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("estimated_value_currency", sa.String(3), nullable=False),
        sa.Column("expected_close_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("has_conflicts", sa.Boolean(), nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("protected_until", UTCDateTime(), nullable=True),
        sa.Column("extension_used", sa.Boolean(), nullable=False),
        sa.Column("final_amount", ExactDecimal(19, 4), nullable=True),
        sa.Column("final_currency", sa.String(3), nullable=True),
        sa.Column("lost_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("expired_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deal_registration"),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name="fk_deal_registration_partner_id_partner", ondelete="CASCADE"
        ),
        sa.CheckConstraint(_one_of("status", DEAL_STATUSES), name="status"),
        sa.CheckConstraint(
            f"customer_segment IS NULL OR {_one_of('customer_segment', SEGMENTS)}",
            name="customer_segment",
        ),
        sa.CheckConstraint("estimated_value_amount > 0", name="estimated_value_positive"),
        sa.CheckConstraint("(final_amount IS NULL) = (final_currency IS NULL)", name="final_amount"),
    )
    op.create_index("ix_deal_registration_created_at", "deal_registration", ["created_at", "id"])
    op.create_index(
        "ix_deal_registration_partner_id", "deal_registration", ["partner_id", "created_at", "id"]
    )
    op.create_index(
        "ix_deal_registration_customer_domain", "deal_registration", ["customer_domain", "status"]
    )
    op.create_index("ix_deal_registration_status", "deal_registration", ["status", "protected_until"])

    op.create_table(
        "deal_registration_conflict",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("deal_registration_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("other_deal_registration_id", sa.Uuid(), nullable=True),
        sa.Column("other_partner_id", sa.Uuid(), nullable=True),
        sa.Column("house_account_id", sa.Uuid(), nullable=True),
        sa.Column("territory_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deal_registration_conflict"),
        sa.ForeignKeyConstraint(
            ["deal_registration_id"],
            ["deal_registration.id"],
            name="fk_deal_registration_conflict_deal_registration_id",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_one_of("kind", CONFLICT_KINDS), name="kind"),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="score"),
    )
    op.create_index(
        "ix_deal_registration_conflict_deal_registration_id",
        "deal_registration_conflict",
        ["deal_registration_id", "position"],
    )

    op.create_table(
        "deal_registration_name_token",
        sa.Column("token", sa.String(100), nullable=False),
        sa.Column("deal_registration_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("token", "deal_registration_id", name="pk_deal_registration_name_token"),
        sa.ForeignKeyConstraint(
            ["deal_registration_id"],
            ["deal_registration.id"],
            name="fk_deal_registration_name_token_deal_registration_id",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "deal_registration_history_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("deal_registration_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("protected_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deal_registration_history_entry"),
        sa.ForeignKeyConstraint(
            ["deal_registration_id"],
            ["deal_registration.id"],
            name="fk_deal_registration_history_entry_deal_registration_id",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_one_of("kind", DEAL_HISTORY_KINDS), name="kind"),
    )
    op.create_index(
        "ix_deal_registration_history_entry_deal_registration_id",
        "deal_registration_history_entry",
        ["deal_registration_id", "occurred_at", "id"],
    )

    # SQLite cannot alter a CHECK constraint in place: batch mode rebuilds the table there. The name is
    # spelled as registry0002 spelled it (the naming convention prefixes it once more in the database).
    with _quiet_reflection(), op.batch_alter_table("partner_history_entry") as batch:
        batch.add_column(sa.Column("territory_id", sa.Uuid(), nullable=True))
        batch.drop_constraint("ck_partner_history_entry_kind", type_="check")
        batch.create_check_constraint("ck_partner_history_entry_kind", _one_of("kind", PARTNER_HISTORY_KINDS))


@contextmanager
def _quiet_reflection() -> Iterator[None]:
    """Batch mode reflects the partner table too (the foreign key's target); SQLAlchemy warns that it skips
    its expression indexes, which batch mode does not touch."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
        yield


def downgrade() -> None:
    op.execute(
        "DELETE FROM partner_history_entry WHERE kind IN "
        "('territory_added', 'territory_updated', 'territory_removed')"
    )
    with _quiet_reflection(), op.batch_alter_table("partner_history_entry") as batch:
        batch.drop_constraint("ck_partner_history_entry_kind", type_="check")
        batch.create_check_constraint(
            "ck_partner_history_entry_kind", _one_of("kind", PARTNER_HISTORY_KINDS_BEFORE)
        )
        batch.drop_column("territory_id")
    op.drop_index(
        "ix_deal_registration_history_entry_deal_registration_id",
        table_name="deal_registration_history_entry",
    )
    op.drop_table("deal_registration_history_entry")
    op.drop_table("deal_registration_name_token")
    op.drop_index(
        "ix_deal_registration_conflict_deal_registration_id", table_name="deal_registration_conflict"
    )
    op.drop_table("deal_registration_conflict")
    for index in (
        "ix_deal_registration_status",
        "ix_deal_registration_customer_domain",
        "ix_deal_registration_partner_id",
        "ix_deal_registration_created_at",
    ):
        op.drop_index(index, table_name="deal_registration")
    op.drop_table("deal_registration")
    op.drop_table("house_account_name_token")
    op.drop_index("ix_house_account_created_at", table_name="house_account")
    op.drop_table("house_account")
    for index in (
        "ix_territory_conflict_other_partner_id",
        "ix_territory_conflict_partner_id",
        "ix_territory_conflict_detected_at",
        "ix_territory_conflict_other_territory_id",
    ):
        op.drop_index(index, table_name="territory_conflict")
    op.drop_table("territory_conflict")
    op.drop_index("ix_territory_country", table_name="territory")
    op.drop_index("ix_territory_partner_id", table_name="territory")
    op.drop_table("territory")

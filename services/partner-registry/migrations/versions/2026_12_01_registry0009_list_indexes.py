"""Indexes of the registry's hot lists: each filter's equalities followed by the list's keyset order, so a
page is an in-order index range of `limit + 1` entries (see README, "Registry" benchmark). The partner-type
and tier indexes are replaced by ones they are a prefix of.

Revision ID: registry0009
Revises: registry0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry0009"
down_revision: str | None = "registry0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DISPLAY_NAME = sa.text("lower(display_name)")


def upgrade() -> None:
    op.create_index(
        "ix_partner_country_status_display_name", "partner", ["country", "status", DISPLAY_NAME, "id"]
    )
    op.create_index(
        "ix_partner_partner_type_status_display_name",
        "partner",
        ["partner_type", "status", DISPLAY_NAME, "id"],
    )
    op.create_index("ix_partner_tier_display_name", "partner", ["tier", DISPLAY_NAME, "id"])
    op.drop_index("ix_partner_partner_type", table_name="partner")
    op.drop_index("ix_partner_tier", table_name="partner")
    op.create_index(
        "ix_deal_registration_status_created_at", "deal_registration", ["status", "created_at", "id"]
    )
    op.create_index("ix_house_account_country_created_at", "house_account", ["country", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_house_account_country_created_at", table_name="house_account")
    op.drop_index("ix_deal_registration_status_created_at", table_name="deal_registration")
    op.create_index("ix_partner_tier", "partner", ["tier"])
    op.create_index("ix_partner_partner_type", "partner", ["partner_type"])
    op.drop_index("ix_partner_tier_display_name", table_name="partner")
    op.drop_index("ix_partner_partner_type_status_display_name", table_name="partner")
    op.drop_index("ix_partner_country_status_display_name", table_name="partner")

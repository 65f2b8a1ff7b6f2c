"""Indexes for finding a partner by its natural keys: registration number (in its compared form) and
website domain, the lookups a CRM or ERP sync makes before creating a partner.

Revision ID: registry0006
Revises: registry0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "registry0006"
down_revision: str | None = "registry0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # (country, registration_number_key) is unique already; this one serves the lookup without a country
    op.create_index("ix_partner_registration_number_key", "partner", ["registration_number_key"])
    op.create_index("ix_partner_website_domain", "partner", ["website_domain"])


def downgrade() -> None:
    op.drop_index("ix_partner_website_domain", table_name="partner")
    op.drop_index("ix_partner_registration_number_key", table_name="partner")

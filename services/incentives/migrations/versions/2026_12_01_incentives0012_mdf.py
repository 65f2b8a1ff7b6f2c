"""Market development funds: budgets, allocations, requests, claims (placeholder: filled by the work that owns it).

Revision ID: incentives0012
Revises: incentives0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "incentives0012"
down_revision: str | None = "incentives0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

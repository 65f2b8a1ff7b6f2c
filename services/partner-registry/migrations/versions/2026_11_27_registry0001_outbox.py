"""The transactional outbox and consumer inbox (shared shape, see prm_kit.outbox).

Revision ID: registry0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op
from prm_kit.outbox import create_outbox_tables_v1, drop_outbox_tables_v1

revision: str = "registry0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_tables_v1(op)


def downgrade() -> None:
    drop_outbox_tables_v1(op)

"""The tables every service takes from the kit: the outbox, the inbox and idempotency records.

Revision ID: kittest0001
Revises:
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op
from prm_kit.idempotency import create_idempotency_table_v1, drop_idempotency_table_v1
from prm_kit.outbox import create_outbox_tables_v1, drop_outbox_tables_v1

revision: str = "kittest0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_tables_v1(op)
    create_idempotency_table_v1(op)


def downgrade() -> None:
    drop_idempotency_table_v1(op)
    drop_outbox_tables_v1(op)

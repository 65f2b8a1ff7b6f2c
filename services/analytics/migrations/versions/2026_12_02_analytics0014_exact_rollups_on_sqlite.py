"""On SQLite, the rollups' sums stay integers (exact scaled decimals) or the write fails: SQLite turns an
integer sum past 64 bits into an inexact REAL without an error (922,337,203,685,477.5807 at 4 decimal places),
where PostgreSQL's NUMERIC(19, 4) refuses it (22003). Either way the request is a 422 and stores nothing
(prm_kit.db.states.is_number_out_of_range). Nothing to do on PostgreSQL.

Revision ID: analytics0014
Revises: analytics0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db.states import EXACT_CHECK, stays_exact

revision: str = "analytics0014"
down_revision: str | None = "analytics0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AMOUNTS = ("gross_amount", "returns_amount", "costed_amount", "cost_amount")
SUMS = {
    "sales_daily_rollup": (*_AMOUNTS, "sold_quantity", "returned_quantity"),
    "sales_monthly_rollup": _AMOUNTS,
    "sales_customer_rollup": ("net_amount",),
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table, columns in SUMS.items():
        inexact = " OR ".join(f"NOT ({stays_exact(column)})" for column in columns)
        if bind.execute(sa.text(f"SELECT 1 FROM {table} WHERE {inexact} LIMIT 1")).first():  # noqa: S608
            raise RuntimeError(
                f"{table} already holds totals past what SQLite stores exactly (922,337,203,685,477.5807); "
                "they cannot be made exact here: move analytics to PostgreSQL (PRM_ANALYTICS_DATABASE_URL)"
            )
        # SQLite cannot add a CHECK to a table: batch mode copies the table into one that has them
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.create_check_constraint(op.f(f"ck_{table}_{EXACT_CHECK}{column}"), stays_exact(column))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in SUMS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(op.f(f"ck_{table}_{EXACT_CHECK}{column}"), type_="check")

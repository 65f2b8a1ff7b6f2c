"""The partner name indexes on lower(...) rebuilt with the Unicode-aware lower() the kit now registers on every
SQLite connection (prm_kit.db.engine): built with SQLite's ASCII-only one, the entries of names with non-ASCII
capitals ("Öresund") would not be where the new function looks, and changing such a partner would fail as a
malformed index. Nothing to do on PostgreSQL, whose lower() always folded every letter.

After a downgrade, run `REINDEX partner` from a connection without the kit's lower() (the sqlite3 shell).

Revision ID: registry0011
Revises: registry0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry0011"
down_revision: str | None = "registry0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOWER_INDEXES = (
    "ix_partner_display_name_lower",
    "ix_partner_legal_name_lower",
    "ix_partner_country_status_display_name",
    "ix_partner_partner_type_status_display_name",
    "ix_partner_tier_display_name",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if bind.execute(sa.text("SELECT lower('Ö')")).scalar_one() != "ö":
        # rebuilt with SQLite's own lower() the indexes would stay as they are, and the next start would break
        raise RuntimeError(
            "migrate through `prm migrate` (prm_kit.db.make_engine registers lower() on SQLite)"
        )
    for name in LOWER_INDEXES:
        op.execute(f"REINDEX {name}")


def downgrade() -> None:
    pass

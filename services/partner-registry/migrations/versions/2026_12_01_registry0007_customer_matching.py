"""Conflict check that finds real rivals (issue 13): `customer_domain` of a deal registration becomes optional,
conflicts get the `same_group` kind and an explanation, and the customer tokens of open registrations and
house accounts are recomputed (CJK bigrams, acronyms, domain labels).

Revision ID: registry0007
Revises: registry0006
Create Date: 2026-12-01

The tokens are computed by `matching.customer_tokens` as this release has it: the one place they are made, so
the index finds what the scorer flags. Value lists of CHECK constraints are written out (see registry0002).
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op
from prm_kit.db import JSONDocument

revision: str = "registry0007"
down_revision: str | None = "registry0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFLICT_KINDS_BEFORE = (
    "customer_domain",
    "customer_name",
    "product_overlap",
    "house_account",
    "exclusive_territory",
)
CONFLICT_KINDS = (*CONFLICT_KINDS_BEFORE, "same_group")
BATCH = 1000


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


@contextmanager
def _quiet_reflection() -> Iterator[None]:
    """Batch mode reflects the partner table too (the foreign key's target); SQLAlchemy warns that it skips
    its expression indexes, which batch mode does not touch."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
        yield


def _recompute_tokens(rows: Sequence[Any], table: str, owner: str, *, with_partner: bool) -> None:
    """Replace the tokens of these owners (id, customer_name, customer_domain[, partner_id]) in bulk."""
    from partner_registry.deal_registrations.matching import customer_tokens

    tokens = sa.table(
        table,
        sa.column("token", sa.String()),
        sa.column(owner, sa.Uuid()),
        sa.column("partner_id", sa.Uuid()),
    )
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        op.execute(sa.delete(tokens).where(tokens.c[owner].in_([r.id for r in chunk])))
        values: list[dict[str, Any]] = []
        for r in chunk:
            for token in sorted(customer_tokens(r.customer_name, r.customer_domain)):
                value = {"token": token, owner: r.id}
                if with_partner:
                    value["partner_id"] = r.partner_id
                values.append(value)
        if values:
            target = (
                tokens
                if with_partner
                else sa.table(table, sa.column("token", sa.String()), sa.column(owner, sa.Uuid()))
            )
            op.get_bind().execute(sa.insert(target), values)


def upgrade() -> None:
    with _quiet_reflection(), op.batch_alter_table("deal_registration") as batch:
        batch.alter_column("customer_domain", existing_type=sa.String(253), nullable=True)
    with _quiet_reflection(), op.batch_alter_table("deal_registration_conflict") as batch:
        batch.add_column(sa.Column("explanation", JSONDocument, nullable=True))
        batch.drop_constraint("kind", type_="check")
        batch.create_check_constraint("kind", _one_of("kind", CONFLICT_KINDS))

    bind = op.get_bind()
    registration = sa.table(
        "deal_registration",
        sa.column("id", sa.Uuid()),
        sa.column("partner_id", sa.Uuid()),
        sa.column("customer_name", sa.String()),
        sa.column("customer_domain", sa.String()),
    )
    registration_token = sa.table(
        "deal_registration_name_token", sa.column("deal_registration_id", sa.Uuid())
    )
    # only open registrations have tokens (they are removed when one closes)
    open_rows = bind.execute(
        sa.select(
            registration.c.id,
            registration.c.partner_id,
            registration.c.customer_name,
            registration.c.customer_domain,
        ).where(registration.c.id.in_(sa.select(registration_token.c.deal_registration_id).distinct()))
    ).all()
    _recompute_tokens(open_rows, "deal_registration_name_token", "deal_registration_id", with_partner=True)

    account = sa.table(
        "house_account",
        sa.column("id", sa.Uuid()),
        sa.column("customer_name", sa.String()),
        sa.column("customer_domain", sa.String()),
    )
    accounts = bind.execute(sa.select(account.c.id, account.c.customer_name, account.c.customer_domain)).all()
    _recompute_tokens(accounts, "house_account_name_token", "house_account_id", with_partner=False)


def downgrade() -> None:
    op.execute("DELETE FROM deal_registration_conflict WHERE kind = 'same_group'")
    with _quiet_reflection(), op.batch_alter_table("deal_registration_conflict") as batch:
        batch.drop_constraint("kind", type_="check")
        batch.create_check_constraint("kind", _one_of("kind", CONFLICT_KINDS_BEFORE))
        batch.drop_column("explanation")
    # a registration without a domain cannot be kept under the old schema
    op.execute("DELETE FROM deal_registration WHERE customer_domain IS NULL")
    with _quiet_reflection(), op.batch_alter_table("deal_registration") as batch:
        batch.alter_column("customer_domain", existing_type=sa.String(253), nullable=False)
    # the tokens stay a superset of what the earlier matcher indexed: its candidates are still found

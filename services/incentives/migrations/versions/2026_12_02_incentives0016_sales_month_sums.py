"""The replica's lines summed per partner and month (`sales_month_sum`, and by paid month for the paid basis
`sales_paid_month_sum`), kept by triggers on `sales_line` in the writing transaction and filled here from the
lines already replicated; indexes of the lines a flag holds and of the returns naming their sale (each run
reads both, and they are few; see incentives/replica/month_sum_models.py).

Triggers rather than code in the event handlers: every write of a line (events, tests, bulk loads, a manual
fix) keeps the sums, so a run can never read sums that disagree with the lines. PostgreSQL sums a whole
statement's rows at once (statement triggers over transition tables: a delivery or a COPY is one upsert per
sum, not one per line); SQLite, which has only row triggers, one row at a time.

A sum that loses lines (a payment change moves a line to another paid month, a flag comes to hold it) has its
`days` worked out again from its lines, after the upsert has locked the row: a line another transaction adds
meanwhile either committed before (and is seen) or waits for the lock and ORs its day in afterwards. A sum
left without lines is deleted.

Revision ID: incentives0016
Revises: incentives0015
Create Date: 2026-12-02
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, UTCDateTime

revision: str = "incentives0016"
down_revision: str | None = "incentives0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HELD_BY_FLAG = "flag_status IN ('open', 'confirmed')"
NAMES_ORIGINAL = "original_external_id IS NOT NULL"
MONTH_KEY = [
    "occurred_month",
    "partner_id",
    "currency",
    "product_sku",
    "product_category",
    "deal_registration_id",
]
PAID_KEY = ["paid_month", *MONTH_KEY]
TOTAL_KEY = ["occurred_month", "partner_id", "currency"]
PAID_TOTAL_KEY = ["paid_month", *TOTAL_KEY]
TABLES = {  # table -> its key; a key with `paid_month` sums the paid lines only
    "sales_month_sum": MONTH_KEY,
    "sales_paid_month_sum": PAID_KEY,
    "sales_month_total": TOTAL_KEY,
    "sales_paid_month_total": PAID_TOTAL_KEY,
}
SUMS = ["amount", "quantity", "signed_lines", "lines", "days", "last_recorded_at"]
# what a line contributes to each table: a change of anything else leaves the sums as they are
MONTH_FACTS = ["partner_id", "occurred_on", "currency", "product_sku", "product_category", "deal_registration_id",
               "kind", "amount", "quantity", "recorded_at"]  # fmt: skip
PAID_FACTS = [*MONTH_FACTS, "payment_status", "paid_on"]


def _sum_columns(key: list[str]) -> list[sa.Column[object]]:
    keys = {
        "paid_month": sa.Column("paid_month", sa.Date(), nullable=False),
        "occurred_month": sa.Column("occurred_month", sa.Date(), nullable=False),
        "partner_id": sa.Column("partner_id", sa.Uuid(), nullable=False),
        "currency": sa.Column("currency", sa.String(3), nullable=False),
        "product_sku": sa.Column("product_sku", sa.String(100), nullable=False),
        "product_category": sa.Column("product_category", sa.String(100), nullable=False),
        "deal_registration_id": sa.Column("deal_registration_id", sa.Uuid(), nullable=False),
    }
    return [
        *(keys[name] for name in key),
        sa.Column("amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("quantity", ExactDecimal(19, 4), nullable=False),
        sa.Column("signed_lines", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("last_recorded_at", UTCDateTime(), nullable=True),
    ]


# --- PostgreSQL: statement triggers over the statement's old and new rows -----------------------------------

PG_NO_DEAL = "'00000000-0000-0000-0000-000000000000'::uuid"


def _pg_contributions(rows: str, sign: int, *, paid: bool, changed_against: str | None = None) -> str:
    """What each row of the transition table `rows` adds to the sums (`sign` -1: takes away). With
    `changed_against` (UPDATE), only rows whose facts differ from their other version."""
    held = f"r.{HELD_BY_FLAG}"
    where = [f"NOT ({held})"]
    if paid:
        where.append("r.payment_status = 'paid' AND r.paid_on IS NOT NULL")
    if changed_against is not None:
        facts = PAID_FACTS if paid else MONTH_FACTS
        mine = ", ".join(f"r.{name}" for name in facts) + f", {held}"
        theirs = ", ".join(f"o.{name}" for name in facts) + f", o.{HELD_BY_FLAG}"
        where.append(
            f"NOT EXISTS (SELECT FROM {changed_against} o WHERE o.id = r.id AND ({mine}) IS NOT DISTINCT FROM "  # noqa: S608 - made of this file's constants only
            f"({theirs}))"
        )
    signed = "CASE WHEN r.kind = 'sale' THEN {0} ELSE -{0} END"
    return f"""
        SELECT {"date_trunc('month', r.paid_on)::date AS paid_month," if paid else ""}
               date_trunc('month', r.occurred_on)::date AS occurred_month, r.partner_id, r.currency,
               r.product_sku, r.product_category,
               coalesce(r.deal_registration_id, {PG_NO_DEAL}) AS deal_registration_id,
               {sign} * {signed.format("r.amount")} AS amount, {sign} * {signed.format("r.quantity")} AS quantity,
               {sign} * {signed.format("1")} AS signed_lines, {sign} AS lines,
               {"1 << (extract(day FROM r.occurred_on)::int - 1)" if sign > 0 else "0"} AS days,
               {"r.recorded_at" if sign > 0 else "NULL::timestamptz"} AS recorded_at
        FROM {rows} r WHERE {" AND ".join(where)}"""  # noqa: S608 - made of this file's constants only


def _pg_upsert(table: str, key: list[str], contributions: str) -> str:
    keys = ", ".join(key)
    return f"""
        INSERT INTO {table} AS s ({keys}, {", ".join(SUMS)})
        SELECT {keys}, sum(amount), sum(quantity), sum(signed_lines), sum(lines), bit_or(days), max(recorded_at)
        FROM ({contributions}) AS c GROUP BY {keys}
        ON CONFLICT ({keys}) DO UPDATE SET amount = s.amount + excluded.amount,
            quantity = s.quantity + excluded.quantity, signed_lines = s.signed_lines + excluded.signed_lines,
            lines = s.lines + excluded.lines, days = s.days | excluded.days,
            last_recorded_at = greatest(s.last_recorded_at, excluded.last_recorded_at);"""  # noqa: S608 - made of this file's constants only


def _matching_lines(
    key: list[str], column: Callable[[str], str], no_deal: str, later: Callable[[str], str]
) -> str:
    """SQL: the lines `l` a sum stands for, the sum's key columns written as `column` says; `later` writes a
    month later than a month, each dialect its own way."""
    conditions = [f"NOT (l.{HELD_BY_FLAG})"]
    month, paid_month = column("occurred_month"), column("paid_month")
    for name in key:
        if name == "occurred_month":
            conditions += [f"l.occurred_on >= {month}", f"l.occurred_on < {later(month)}"]
        elif name == "paid_month":
            conditions += [
                "l.payment_status = 'paid'",
                f"l.paid_on >= {paid_month}",
                f"l.paid_on < {later(paid_month)}",
            ]
        elif name == "deal_registration_id":
            conditions.append(f"coalesce(l.deal_registration_id, {no_deal}) = {column(name)}")
        else:
            conditions.append(f"l.{name} = {column(name)}")
    return " AND ".join(conditions)


def _pg_after_removal(table: str, key: list[str], removed: str) -> str:
    """Of the sums that lost lines: delete the empty ones, work out the others' days again from their lines."""
    keys = ", ".join(key)
    match = " AND ".join(f"s.{name} = k.{name}" for name in key)
    lines = _matching_lines(
        key, lambda name: f"s.{name}", PG_NO_DEAL, lambda month: f"({month} + interval '1 month')::date"
    )
    return f"""
        DELETE FROM {table} s USING (SELECT DISTINCT {keys} FROM ({removed}) AS c) AS k
        WHERE {match} AND s.lines = 0;
        UPDATE {table} s SET days = coalesce((
            SELECT bit_or(1 << (extract(day FROM l.occurred_on)::int - 1)) FROM sales_line l WHERE {lines}), 0)
        FROM (SELECT DISTINCT {keys} FROM ({removed}) AS c) AS k WHERE {match};"""  # noqa: S608 - made of this file's constants only


def _pg_function(operation: str) -> str:
    body = []
    for table, key in TABLES.items():
        paid = "paid_month" in key
        if operation == "insert":
            body.append(_pg_upsert(table, key, _pg_contributions("new_lines", 1, paid=paid)))
            continue
        against = {"changed_against": "new_lines"} if operation == "update" else {}
        removed = _pg_contributions("old_lines", -1, paid=paid, **against)
        added = (
            _pg_contributions("new_lines", 1, paid=paid, changed_against="old_lines")
            if operation == "update"
            else None
        )
        body.append(_pg_upsert(table, key, removed if added is None else f"{removed} UNION ALL {added}"))
        body.append(_pg_after_removal(table, key, removed))
    return f"""
        CREATE FUNCTION sales_month_sums_after_{operation}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
        {"".join(body)}
        RETURN NULL;
        END $$;"""


def _pg_triggers() -> list[str]:
    tables = {"insert": "NEW TABLE AS new_lines", "update": "OLD TABLE AS old_lines NEW TABLE AS new_lines",
              "delete": "OLD TABLE AS old_lines"}  # fmt: skip
    statements = []
    for operation, referencing in tables.items():
        statements.append(_pg_function(operation))
        statements.append(
            f"CREATE TRIGGER sales_month_sums_after_{operation} AFTER {operation.upper()} ON sales_line "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION sales_month_sums_after_{operation}()"
        )
    return statements


# --- SQLite: row triggers -----------------------------------------------------------------------------------

SQLITE_NO_DEAL = "'" + "0" * 32 + "'"  # how SQLAlchemy stores a UUID there: 32 hex digits
SQLITE_DAY_BIT = "(1 << (CAST(strftime('%d', {0}.occurred_on) AS INTEGER) - 1))"


def _sqlite_upsert(table: str, key: list[str], row: str, sign: int) -> str:
    keys = ", ".join(key)
    signed = "CASE WHEN {0}.kind = 'sale' THEN {0}.{1} ELSE -{0}.{1} END"
    values = {
        "paid_month": f"date({row}.paid_on, 'start of month')",
        "occurred_month": f"date({row}.occurred_on, 'start of month')",
        "partner_id": f"{row}.partner_id",
        "currency": f"{row}.currency",
        "product_sku": f"{row}.product_sku",
        "product_category": f"{row}.product_category",
        "deal_registration_id": f"coalesce({row}.deal_registration_id, {SQLITE_NO_DEAL})",
    }
    where = f"NOT ({row}.{HELD_BY_FLAG})"
    if "paid_month" in key:
        where += f" AND {row}.payment_status = 'paid' AND {row}.paid_on IS NOT NULL"
    return f"""
        INSERT INTO {table} ({keys}, {", ".join(SUMS)})
        SELECT {", ".join(values[name] for name in key)},
               {sign} * {signed.format(row, "amount")}, {sign} * {signed.format(row, "quantity")},
               {sign} * (CASE WHEN {row}.kind = 'sale' THEN 1 ELSE -1 END), {sign},
               {SQLITE_DAY_BIT.format(row) if sign > 0 else "0"}, {f"{row}.recorded_at" if sign > 0 else "NULL"}
        WHERE {where}
        ON CONFLICT ({keys}) DO UPDATE SET amount = amount + excluded.amount,
            quantity = quantity + excluded.quantity, signed_lines = signed_lines + excluded.signed_lines,
            lines = lines + excluded.lines, days = days | excluded.days,
            last_recorded_at = CASE WHEN excluded.last_recorded_at IS NULL
                OR last_recorded_at >= excluded.last_recorded_at THEN last_recorded_at
                ELSE excluded.last_recorded_at END;"""


def _sqlite_after_removal(table: str, key: list[str]) -> str:
    """The sum OLD left: deleted when empty, else its days worked out again from its lines."""
    old = {
        "paid_month": "date(OLD.paid_on, 'start of month')",
        "occurred_month": "date(OLD.occurred_on, 'start of month')",
        "deal_registration_id": f"coalesce(OLD.deal_registration_id, {SQLITE_NO_DEAL})",
    }
    match = " AND ".join(f"{name} = {old.get(name, f'OLD.{name}')}" for name in key)
    lines = _matching_lines(
        key,
        lambda name: old.get(name, f"OLD.{name}"),
        SQLITE_NO_DEAL,
        lambda month: month.replace("'start of month')", "'start of month', '+1 month')"),
    )
    return f"""
        DELETE FROM {table} WHERE {match} AND lines = 0;
        UPDATE {table} SET days = coalesce((
            SELECT sum(DISTINCT {SQLITE_DAY_BIT.format("l")}) FROM sales_line l WHERE {lines}), 0)
        WHERE {match};"""  # noqa: S608 - made of this file's constants only


def _sqlite_triggers() -> list[str]:
    tables = TABLES.items()
    inserted = "".join(_sqlite_upsert(table, key, "NEW", 1) for table, key in tables)
    deleted = "".join(
        _sqlite_upsert(table, key, "OLD", -1) + _sqlite_after_removal(table, key) for table, key in tables
    )
    updated = "".join(
        _sqlite_upsert(table, key, "OLD", -1)
        + _sqlite_upsert(table, key, "NEW", 1)
        + _sqlite_after_removal(table, key)
        for table, key in tables
    )
    changed = " OR ".join(f"OLD.{name} IS NOT NEW.{name}" for name in [*PAID_FACTS, "flag_status"])
    return [
        f"CREATE TRIGGER sales_month_sums_after_insert AFTER INSERT ON sales_line BEGIN {inserted} END",
        f"CREATE TRIGGER sales_month_sums_after_update AFTER UPDATE ON sales_line WHEN {changed} "
        f"BEGIN {updated} END",
        f"CREATE TRIGGER sales_month_sums_after_delete AFTER DELETE ON sales_line BEGIN {deleted} END",
    ]


# --- filling the sums from the lines there ------------------------------------------------------------------


def _backfill(dialect: str) -> list[str]:
    if dialect == "postgresql":
        month = "date_trunc('month', {0})::date"
        deal = f"coalesce(deal_registration_id, {PG_NO_DEAL})"
        days = "bit_or(1 << (extract(day FROM occurred_on)::int - 1))"
    else:
        month = "date({0}, 'start of month')"
        deal = f"coalesce(deal_registration_id, {SQLITE_NO_DEAL})"
        days = f"sum(DISTINCT {SQLITE_DAY_BIT.format('sales_line')})"
    expressions = {
        "paid_month": month.format("paid_on"),
        "occurred_month": month.format("occurred_on"),
        "deal_registration_id": deal,
    }
    statements = []
    for table, key in TABLES.items():
        where = " AND payment_status = 'paid' AND paid_on IS NOT NULL" if "paid_month" in key else ""
        grouped = ", ".join(expressions.get(name, name) for name in key)
        statements.append(
            f"""INSERT INTO {table} ({", ".join(key)}, {", ".join(SUMS)})
            SELECT {grouped}, sum(CASE WHEN kind = 'sale' THEN amount ELSE -amount END),
                   sum(CASE WHEN kind = 'sale' THEN quantity ELSE -quantity END),
                   sum(CASE WHEN kind = 'sale' THEN 1 ELSE -1 END), count(*), {days}, max(recorded_at)
            FROM sales_line WHERE NOT ({HELD_BY_FLAG}){where} GROUP BY {grouped}"""  # noqa: S608 - made of this file's constants only
        )
    return statements


def upgrade() -> None:
    for name, where in (
        ("ix_sales_line_held_occurred_on", HELD_BY_FLAG),
        ("ix_sales_line_naming_original_occurred_on", NAMES_ORIGINAL),
    ):
        op.create_index(
            name, "sales_line", ["occurred_on"], postgresql_where=sa.text(where), sqlite_where=sa.text(where)
        )
    for table, key in TABLES.items():
        op.create_table(table, *_sum_columns(key), sa.PrimaryKeyConstraint(*key, name=op.f(f"pk_{table}")))
    dialect = op.get_bind().dialect.name
    for statement in _backfill(dialect):
        op.execute(statement)
    for statement in _pg_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for operation in ("insert", "update", "delete"):
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER sales_month_sums_after_{operation} ON sales_line")
            op.execute(f"DROP FUNCTION sales_month_sums_after_{operation}()")
        else:
            op.execute(f"DROP TRIGGER sales_month_sums_after_{operation}")
    for table in reversed(TABLES):
        op.drop_table(table)
    op.drop_index("ix_sales_line_naming_original_occurred_on", table_name="sales_line")
    op.drop_index("ix_sales_line_held_occurred_on", table_name="sales_line")

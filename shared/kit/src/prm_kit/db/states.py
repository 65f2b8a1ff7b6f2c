"""What a database error says about the request that caused it: its SQLSTATE, and whether a number (or a
total kept of many) went past what its column holds exactly."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from prm_kit.db.types import NumberOutOfRange

# PostgreSQL: numeric_value_out_of_range, raised by a NUMERIC(p, s) column or an integer past its width.
NUMBER_OUT_OF_RANGE = "22003"
# The name (after the table's `ck_<table>_`) of the SQLite CHECKs `stays_exact` makes.
EXACT_CHECK = "exact_"


def sqlstate(exc: DBAPIError) -> str | None:
    """PostgreSQL's SQLSTATE of the error (asyncpg's `sqlstate`, psycopg's `pgcode`); None on SQLite."""
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return state if isinstance(state, str) else None


def stays_exact(column: str) -> str:
    """The SQL of a CHECK, for SQLite only, that a total kept in an ExactDecimal column (a scaled 64-bit
    integer there) is still an integer: SQLite turns an integer sum past 64 bits into an inexact REAL without
    a word, where PostgreSQL's NUMERIC refuses it (22003). Name it `EXACT_CHECK + column`."""
    return f"typeof({column}) = 'integer'"


def is_number_out_of_range(exc: StatementError) -> bool:
    """A number, or a total kept of many, beyond what its column stores exactly: one an ExactDecimal refused
    before sending it (`NumberOutOfRange`); PostgreSQL's 22003; on SQLite a `stays_exact` CHECK that failed,
    or SUM's integer overflow while adding stored totals up."""
    if isinstance(exc.orig, NumberOutOfRange):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if sqlstate(exc) == NUMBER_OUT_OF_RANGE:
        return True
    message = str(exc.orig)
    failed_check = message.startswith("CHECK constraint failed: ck_") and f"_{EXACT_CHECK}" in message
    return failed_check or message == "integer overflow"


# PostgreSQL ended the transaction to break a deadlock (40P01) or as a serialization failure (40001).
_LOST_RACE_STATES = frozenset({"40P01", "40001"})


def is_lost_race(exc: DBAPIError) -> bool:
    """The transaction lost to a concurrent one — a key stored meanwhile (an IntegrityError other than a
    number out of range), a deadlock, a serialization failure —, so judging it again sees what the winner
    stored."""
    if isinstance(exc, IntegrityError):
        return not is_number_out_of_range(exc)
    return sqlstate(exc) in _LOST_RACE_STATES

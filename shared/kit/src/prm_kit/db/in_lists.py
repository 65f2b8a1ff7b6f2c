"""`column IN (values)` that stays fast on PostgreSQL however often a statement runs.

asyncpg prepares every statement, and after five runs PostgreSQL may switch to a generic plan, made once
with the statistics of that moment: on a table still small or never analysed (a new database, a new
partner's first stream) it is a sequential scan that compares each row with every bound value in turn, and
it stays so as the table grows (measured: 500 external ids against 20,000 keys took 100-300 ms, growing
with every delivery, where a custom plan takes 2 ms). Whether the values are bound one by one or as one
array, a parameter is no constant, so neither is hashed nor planned for. Rendered as literals, the list is
planned each time as a constant array (hashed, or probed through the index). SQLAlchemy renders the
literals through the column's type, quoting them (analytics' tests/sales/test_lookup_literals.py sends quotes
and backslashes). SQLite keeps bound parameters, in lists far below its limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from prm_kit.db.core import is_postgresql


def among(
    session: AsyncSession, column: sa.ColumnElement[Any] | QueryableAttribute[Any], values: Sequence[Any]
) -> sa.ColumnElement[bool]:
    """`column` equals one of `values` (rendered as literals on PostgreSQL)."""
    literal = is_postgresql(session)
    return column.in_(sa.bindparam(None, list(values), expanding=True, literal_execute=literal))


def batches(session: AsyncSession, values: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """`values` in lists to match with `among`: all at once on PostgreSQL (no parameters), else in lists of
    `size`, far below SQLite's limit on bound parameters."""
    if not values:
        return []
    if is_postgresql(session):
        return [values]
    return [values[start : start + size] for start in range(0, len(values), size)]

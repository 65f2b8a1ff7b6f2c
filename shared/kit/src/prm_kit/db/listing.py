"""What a list endpoint needs so that a page costs little Python: statements built once per shape,
plain rows instead of entities, children aggregated by the database, and each page validated once.

- Building a SQLAlchemy statement costs more CPU than finding its compiled form and running it. A list
  builds its statement once per shape (which filters are set, the sort, whether a cursor was given, the
  dialect) with bound parameters (`sa.bindparam`) and keeps it; a reused statement object also keeps its
  compiled-cache key (SQLAlchemy memoises it on the object).
- A read-only page needs no identity map or unit of work: its rows come as Core rows.
- A row's children (a partner's specialisations, a registration's conflicts, a case's parties) come as one
  JSON array per row from a correlated subquery over the page's rows only: one statement, one row per item,
  each child read by index however large its table (a join let PostgreSQL hash whole child tables).
- The items are plain dicts, validated once as the page (`Page[...].model_validate`) and serialised; on
  PostgreSQL the database can write each item's JSON instead (`prm_kit.db.json_items`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa

from prm_kit.pagination import Column, KeysetPosition, keyset_order

Statement = TypeVar("Statement")

AFTER_KEY, AFTER_ID, LIMIT = "after_key", "after_id", "limit"

# Least recently used first; bounded, as a caller choosing filters chooses shapes (SQLAlchemy's own compiled
# cache is bounded likewise).
_statements: OrderedDict[Hashable, Any] = OrderedDict()
MAX_STATEMENTS = 500

# A SELECT of any columns (SQLAlchemy types a select by its columns).
AnySelect = sa.Select[*tuple[Any, ...]]


def cached_statement(shape: Hashable, build: Callable[[], Statement]) -> Statement:
    """The statement of this shape, built by `build` the first time. A list's shapes in use are few (which
    of its filters are set, not their values)."""
    statement = _statements.get(shape)
    if statement is None:
        statement = _statements[shape] = build()
        if len(_statements) > MAX_STATEMENTS:
            _statements.popitem(last=False)
    else:
        _statements.move_to_end(shape)
    return statement


def keyset_after_bound(key: Column, id_: Column, *, descending: bool) -> sa.ColumnElement[bool]:
    """`prm_kit.pagination.keyset_after` for a cached statement: the position is the bound parameters
    `after_key` and `after_id` (`page_parameters` gives their values)."""
    position = sa.tuple_(key, id_)
    bound = sa.tuple_(sa.bindparam(AFTER_KEY, type_=key.type), sa.bindparam(AFTER_ID, type_=id_.type))
    return position < bound if descending else position > bound


def limit_bound() -> sa.BindParameter[int]:
    return sa.bindparam(LIMIT, type_=sa.Integer())


def keyset_page(selected: AnySelect, key: Column, id_: Column, *, after: bool, descending: bool) -> AnySelect:
    """`selected` (with its filters) as a cached statement's page: from the bound position when `after`, in
    keyset order, up to the bound limit (`page_parameters` gives their values)."""
    if after:
        selected = selected.where(keyset_after_bound(key, id_, descending=descending))
    return selected.order_by(*keyset_order(key, id_, descending=descending)).limit(limit_bound())


def bound_values(parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters that have a value: a cached statement's shape binds only the filters that are set."""
    return {name: value for name, value in parameters.items() if value is not None}


def page_parameters(after: KeysetPosition[Any] | None, limit: int) -> dict[str, Any]:
    """The values of `keyset_after_bound` (when there is a position) and `limit_bound`."""
    if after is None:
        return {LIMIT: limit}
    return {LIMIT: limit, AFTER_KEY: after.key, AFTER_ID: after.id}


def json_rows(dialect: str, *columns: Any) -> sa.ColumnElement[Any]:
    """The aggregate of the rows a (correlated) subquery selects: a JSON array of one array of `columns` per
    row, in no particular order (SQLite before 3.44 has no ORDER BY in an aggregate: select a position and
    sort by it); `[]`, or NULL on PostgreSQL, when there are none. A JSON column stays JSON inside it."""
    if dialect == "postgresql":
        return sa.func.json_agg(sa.func.json_build_array(*columns), type_=sa.JSON())
    # SQLite keeps JSON as text: json() makes it a JSON value again instead of a string
    values = [sa.func.json(column) if isinstance(column.type, sa.JSON) else column for column in columns]
    return sa.func.json_group_array(sa.func.json_array(*values), type_=sa.JSON())

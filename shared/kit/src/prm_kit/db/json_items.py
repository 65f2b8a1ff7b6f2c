"""A list page whose items PostgreSQL writes as JSON, the way the response model would serialise them.

A 50-item page built in Python costs more than its query: each row decoded into Python values, made into a
dict, validated as the page's model and serialised again. On PostgreSQL a list can instead select each item
as JSON text (`json_object` of the fields, each written by the helpers below exactly as pydantic writes
that type) and the service joins those texts into the page (`page_body`, which takes the model path on
SQLite): no row decoding, no model.

The helpers match pydantic's JSON: timestamps in UTC with `Z` and microseconds only when there are any,
amounts as strings with 2 to 4 decimals (`canonical_amount`), JSON columns as they are. SQLite keeps the
model path; each list that uses this has a test comparing both ways on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import aggregate_order_by

from prm_kit.pagination import Column, page_of, page_rows

JSON_MEDIA_TYPE = "application/json"  # of a response whose body is a page made here


def constant(text: str) -> sa.ColumnElement[str]:
    """A text constant written into the statement, not bound: a cached list statement's field names and
    formats would otherwise be dozens of parameters to process on every run."""
    return sa.literal_column("'" + text.replace("'", "''") + "'", sa.Text())


_WHOLE_SECONDS = constant('YYYY-MM-DD"T"HH24:MI:SS"Z"')
_WITH_MICROSECONDS = constant('YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
_UTC = constant("UTC")
_MICROSECONDS_IN_A_SECOND = sa.literal_column("1000000", sa.Integer())
EMPTY_ARRAY = sa.literal_column("'[]'::json", sa.JSON())


def json_object(fields: Mapping[str, Column]) -> sa.ColumnElement[str]:
    """The JSON text of an object of `fields`, in their order (a response model's field order)."""
    arguments: list[Any] = []
    for name, value in fields.items():
        arguments += [constant(name), value]
    return sa.cast(sa.func.json_build_object(*arguments, type_=sa.JSON()), sa.Text())


def timestamp(column: Column) -> sa.ColumnElement[str]:
    """A timestamptz as pydantic writes an aware UTC datetime: `2026-01-02T03:04:05Z`, or with `.000120`
    when it has microseconds. NULL stays NULL."""
    utc = column.op("AT TIME ZONE")(_UTC)
    whole = sa.extract("microseconds", column).op("%")(_MICROSECONDS_IN_A_SECOND) == 0
    pattern = sa.case((whole, _WHOLE_SECONDS), else_=_WITH_MICROSECONDS)
    return sa.func.to_char(utc, pattern, type_=sa.Text())


def day(column: Column) -> sa.ColumnElement[str]:
    """A date as `2026-01-02`."""
    return sa.func.to_char(column, constant("YYYY-MM-DD"), type_=sa.Text())


def amount(column: Column) -> sa.ColumnElement[str]:
    """A numeric as the contracts' canonical amount string: at least 2 and at most 4 decimals (`1250.50`,
    `0.1234`)."""
    rounded = [sa.func.round(column, sa.literal_column(str(places))) for places in (2, 3, 4)]
    return sa.cast(
        sa.case((rounded[0] == column, rounded[0]), (rounded[1] == column, rounded[1]), else_=rounded[2]),
        sa.Text(),
    )


def money(amount_column: Column, currency: Column) -> sa.ColumnElement[Any]:
    """`{"amount": "…", "currency": "EUR"}`, or null unless both are set."""
    both = sa.and_(amount_column.is_not(None), currency.is_not(None))
    value = sa.func.json_build_object(
        constant("amount"), amount(amount_column), constant("currency"), currency
    )
    return sa.case((both, value), else_=sa.null())


def json_array(values: Column, *, order_by: Column) -> sa.ColumnElement[Any]:
    """The JSON array of a (correlated) subquery's `values` in `order_by` order; `[]` when there are none."""
    return sa.func.coalesce(
        sa.func.json_agg(aggregate_order_by(values, order_by)),
        EMPTY_ARRAY,
    )


def json_page(items: Iterable[str], next_cursor: str | None) -> bytes:
    """A `Page`'s JSON from its items' JSON texts."""
    return b'{"items":[%s],"next_cursor":%s}' % (",".join(items).encode(), orjson.dumps(next_cursor))


def json_page_of(rows: Sequence[Any], limit: int, *, cursor_of: Callable[[Any], str]) -> bytes:
    """The page of `rows` fetched with `limit + 1`, each with its JSON as `item` (`prm_kit.pagination.page_of`
    for items that are JSON already)."""
    shown, next_cursor = page_rows(rows, limit, cursor_of=cursor_of)
    return json_page((row.item for row in shown), next_cursor)


def page_body(
    rows: Sequence[Any],
    limit: int,
    *,
    cursor_of: Callable[[Any], str],
    items_are_json: bool,
    out: Callable[[Any], Any],
    page: type[BaseModel],
) -> bytes:
    """A list's JSON body from `rows` fetched with `limit + 1`: joined from the items' JSON texts when the
    database wrote them (`items_are_json`: PostgreSQL), else each row as `out` makes it, validated once as the
    `page` model and serialised (SQLite)."""
    if items_are_json:
        return json_page_of(rows, limit, cursor_of=cursor_of)
    built = page_of(rows, limit, out=out, cursor_of=cursor_of)
    return page.model_validate(built, from_attributes=True).model_dump_json().encode()

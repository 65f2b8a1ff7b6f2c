"""Look-alike customers by their tokens (`deal_registrations.matching.customer_tokens`: name words and their
typo variants, CJK character bigrams, acronyms, the domain's label), for any token table: the queries behind
the conflict check's name candidates (deal registrations and house accounts).

The rarer a shared token, the more it says: candidates are ranked by the sum of 1/postings of the tokens
they share (`matching.token_weights`). A token with more than `FREQUENT_TOKEN_POSTINGS` postings (a common
word, a short fragment) tells names apart too little to be worth reading and is left out, so the work per
submission stays bounded however many registrations exist: counting stops there for each token, and only
the postings of the rarer tokens are aggregated, in the database.

The tokens and weights travel as one JSON parameter each, unnested by the database (`json_each` on SQLite,
`jsonb_array_elements_text` / `jsonb_each_text` on PostgreSQL): each statement has one shape whatever the
name, so it is built once (`prm_kit.db.listing.cached_statement`) and SQLAlchemy compiles it once. The ranking is a
subquery (`owners_query`) that the candidate queries embed, so a submission reads the postings of every
token table in one statement and each table's candidates in one more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_kit.db import JSONDocument
from prm_kit.db.core import core_rows
from prm_kit.db.listing import AnySelect, cached_statement
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from partner_registry.deal_registrations.matching import token_weights

FREQUENT_TOKEN_POSTINGS = 1000


def _rows_of(dialect: str, parameter: sa.BindParameter[Any], *columns: str, name: str) -> Any:
    """A JSON array parameter (one `value` column) or object (`key`, `value`) as a table, on either backend."""
    postgresql = dialect == "postgresql"
    if columns == ("value",):
        function = sa.func.jsonb_array_elements_text if postgresql else sa.func.json_each
    else:
        function = sa.func.jsonb_each_text if postgresql else sa.func.json_each
    return function(parameter).table_valued(*columns).alias(name)


def _frequencies_statement(dialect: str, tokens: tuple[InstrumentedAttribute[str], ...]) -> AnySelect:
    """Each wanted token and, for each token column, how many postings it has there, counted up to `bound`
    (an index range scan of that length at most, per token and table)."""
    wanted = _rows_of(dialect, sa.bindparam("tokens", type_=JSONDocument), "value", name="wanted")
    counts = []
    for token in tokens:
        postings = (
            sa.select(sa.literal(1))
            .select_from(token.class_)
            .where(token == wanted.c.value)
            .correlate(wanted)
            .limit(sa.bindparam("bound", type_=sa.Integer()))
            .subquery()
        )
        counts.append(sa.select(sa.func.count()).select_from(postings).scalar_subquery())
    return sa.select(wanted.c.value, *counts).select_from(wanted)


async def token_frequencies(
    session: AsyncSession, tokens: Iterable[str], *columns: InstrumentedAttribute[str], bound: int
) -> list[dict[str, int]]:
    """How many postings each token has in each token column (one mapping per column, in their order),
    counted up to `bound + 1`, in one statement."""
    wanted_tokens = sorted(set(tokens))
    if not wanted_tokens:
        return [{} for _ in columns]
    dialect = session.get_bind().dialect.name
    statement = cached_statement(
        ("token_frequencies", columns, dialect), lambda: _frequencies_statement(dialect, columns)
    )
    rows = await core_rows(session, statement, {"tokens": wanted_tokens, "bound": bound + 1})
    return [{str(row[0]): int(row[position]) for row in rows} for position in range(1, len(columns) + 1)]


@dataclass(frozen=True)
class NameSearch:
    """How to find owners by name from the tokens' postings: `weighted` (by the rarer tokens), `least` (a
    name of common words only: the least common token's first postings, for want of anything better) or
    `none`, with the value of its parameter."""

    mode: str
    value: Any = None

    @classmethod
    def of(cls, postings: dict[str, int]) -> NameSearch:
        weights = token_weights(postings, frequent_above=FREQUENT_TOKEN_POSTINGS)
        if weights:
            return cls("weighted", weights)
        if postings and all(n > FREQUENT_TOKEN_POSTINGS for n in postings.values()):
            return cls("least", min((n, t) for t, n in postings.items())[1])
        return cls("none")


def owners_query(
    dialect: str,
    token: InstrumentedAttribute[str],
    owner: InstrumentedAttribute[UUID],
    mode: str,
    *,
    conditions: Sequence[sa.ColumnElement[bool]] = (),
    parameter: str,
    limit: sa.BindParameter[int],
) -> AnySelect | None:
    """The owners (registrations, house accounts) of postings found the `NameSearch` mode's way, up to
    `limit`, those sharing the rarest tokens first; its value is the bound parameter `parameter`.
    `conditions` narrow the postings (say, not the submitting partner's). None for `none`."""
    if mode == "weighted":
        weight = _rows_of(dialect, sa.bindparam(parameter, type_=JSONDocument), "key", "value", name="weight")
        return (
            sa.select(owner)
            .join(weight, token == weight.c.key)
            .where(*conditions)
            .group_by(owner)
            .order_by(sa.func.sum(sa.cast(weight.c.value, sa.Float)).desc(), owner)
            .limit(limit)
        )
    if mode == "least":
        least = sa.bindparam(parameter, type_=sa.String())
        return sa.select(owner).where(token == least, *conditions).order_by(owner).limit(limit)
    return None


def any_of(queries: Sequence[AnySelect]) -> AnySelect:
    """The ids any of `queries` (of one id column each, ordered and limited) select, as one query: a union
    of them, for `column.in_(...)` (PostgreSQL joins a union by index; `IN a OR IN b` scans the table)."""
    parts = [sa.select(query.subquery().c[0]) for query in queries]
    return parts[0] if len(parts) == 1 else sa.union(*parts)  # type: ignore[return-value]


async def ranked_owners(
    session: AsyncSession,
    token: InstrumentedAttribute[str],
    owner: InstrumentedAttribute[UUID],
    tokens: Iterable[str],
    *,
    conditions: Callable[[], Sequence[sa.ColumnElement[bool]]] = tuple,
    parameters: dict[str, Any] | None = None,
    limit: int,
) -> list[UUID]:
    """Up to `limit` owners (registrations, house accounts) of postings of `tokens`, those sharing the
    rarest tokens first: the ranking the candidate queries embed, on its own. `conditions` builds the
    conditions that narrow the postings, on bound `parameters` (say, not the submitting partner's)."""
    (postings,) = await token_frequencies(session, tokens, token, bound=FREQUENT_TOKEN_POSTINGS)
    search = NameSearch.of(postings)
    if search.mode == "none":
        return []
    dialect = session.get_bind().dialect.name

    def build() -> AnySelect:
        limit_parameter = sa.bindparam("limit", type_=sa.Integer())
        query = owners_query(
            dialect,
            token,
            owner,
            search.mode,
            conditions=conditions(),
            parameter="names",
            limit=limit_parameter,
        )
        assert query is not None
        return query

    statement = cached_statement(("ranked_owners", token, owner, search.mode, conditions, dialect), build)
    values = {"names": search.value, "limit": limit} | (parameters or {})
    return list((await session.scalars(statement, values)).all())

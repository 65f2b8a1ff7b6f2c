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
name, so SQLAlchemy compiles it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_kit.db import JSONDocument
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from partner_registry.deal_registrations.matching import token_weights

FREQUENT_TOKEN_POSTINGS = 1000


def _rows_of(session: AsyncSession, document: Any, *columns: str, name: str) -> Any:
    """A JSON array (one `value` column) or object (`key`, `value`) as a table, on either backend."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    parameter = sa.literal(document, JSONDocument)
    if isinstance(document, list):
        function = sa.func.jsonb_array_elements_text if postgresql else sa.func.json_each
    else:
        function = sa.func.jsonb_each_text if postgresql else sa.func.json_each
    return function(parameter).table_valued(*columns).alias(name)


async def token_frequencies(
    session: AsyncSession, token: InstrumentedAttribute[str], tokens: Iterable[str], *, bound: int
) -> dict[str, int]:
    """How many postings each token has, counted up to `bound + 1` (an index range scan of that length at
    most, per token)."""
    wanted_tokens = sorted(set(tokens))
    if not wanted_tokens:
        return {}
    wanted = _rows_of(session, wanted_tokens, "value", name="wanted")
    postings = (
        sa.select(sa.literal(1))
        .select_from(token.class_)
        .where(token == wanted.c.value)
        .correlate(wanted)
        .limit(bound + 1)
        .subquery("postings")
    )
    count = sa.select(sa.func.count()).select_from(postings).scalar_subquery()
    rows = await session.execute(sa.select(wanted.c.value, count).select_from(wanted))
    return {str(value): int(n) for value, n in rows.all()}


async def ranked_owners(
    session: AsyncSession,
    token: InstrumentedAttribute[str],
    owner: InstrumentedAttribute[UUID],
    tokens: Iterable[str],
    *,
    conditions: Sequence[sa.ColumnElement[bool]] = (),
    limit: int,
) -> list[UUID]:
    """Up to `limit` owners (registrations, house accounts) of postings of `tokens`, those sharing the
    rarest tokens first; `conditions` narrow the postings (say, not the submitting partner's)."""
    frequencies = await token_frequencies(session, token, tokens, bound=FREQUENT_TOKEN_POSTINGS)
    weights = token_weights(frequencies, frequent_above=FREQUENT_TOKEN_POSTINGS)
    if weights:
        weight = _rows_of(session, weights, "key", "value", name="weight")
        statement = (
            sa.select(owner)
            .join(weight, token == weight.c.key)
            .where(*conditions)
            .group_by(owner)
            .order_by(sa.func.sum(sa.cast(weight.c.value, sa.Float)).desc(), owner)
            .limit(limit)
        )
    elif frequencies and all(n > FREQUENT_TOKEN_POSTINGS for n in frequencies.values()):
        # a name of common words only: the least common token's first postings, for want of anything better
        least = min((n, t) for t, n in frequencies.items())[1]
        statement = sa.select(owner).where(token == least, *conditions).order_by(owner).limit(limit)
    else:
        return []
    return list((await session.scalars(statement)).all())

"""Every query of the house-accounts domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_kit.db.core import core_rows
from prm_kit.db.listing import (
    AnySelect,
    bound_values,
    cached_statement,
    keyset_page,
    page_parameters,
)
from prm_kit.pagination import KeysetPosition
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.house_accounts.models import HouseAccount, HouseAccountNameToken
from partner_registry.name_search import NameSearch, any_of, owners_query


async def house_account_by_id(session: AsyncSession, account_id: UUID) -> HouseAccount | None:
    account: HouseAccount | None = await session.scalar(
        sa.select(HouseAccount).where(HouseAccount.id == account_id).execution_options(populate_existing=True)
    )
    return account


async def domain_holder(session: AsyncSession, domain: str, *, other_than: UUID | None) -> UUID | None:
    statement = sa.select(HouseAccount.id).where(HouseAccount.customer_domain == domain)
    if other_than is not None:
        statement = statement.where(HouseAccount.id != other_than)
    holder: UUID | None = await session.scalar(statement)
    return holder


def _page_statement(country: bool, customer_domain: bool, after: bool) -> AnySelect:
    h = HouseAccount
    conditions = []
    if country:
        conditions.append(h.country == sa.bindparam("country", type_=h.country.type))
    if customer_domain:
        conditions.append(h.customer_domain == sa.bindparam("customer_domain", type_=h.customer_domain.type))
    return keyset_page(
        sa.select(h.__table__).where(*conditions), h.created_at, h.id, after=after, descending=False
    )


async def house_account_page(
    session: AsyncSession,
    *,
    country: str | None,
    customer_domain: str | None,
    after: KeysetPosition[datetime] | None,
    limit: int,
) -> Sequence[sa.Row[Any]]:
    """House accounts in the order they were added: rows of their columns."""
    statement = cached_statement(
        ("house_account_page", country is not None, customer_domain is not None, after is not None),
        lambda: _page_statement(country is not None, customer_domain is not None, after is not None),
    )
    parameters = {"country": country, "customer_domain": customer_domain}
    given = bound_values(parameters)
    return await core_rows(session, statement, given | page_parameters(after, limit))


async def add_house_account(session: AsyncSession, account: HouseAccount) -> None:
    session.add(account)
    await session.flush()


async def remove_house_account(session: AsyncSession, account: HouseAccount) -> None:
    await session.execute(
        sa.delete(HouseAccountNameToken).where(HouseAccountNameToken.house_account_id == account.id)
    )
    await session.delete(account)
    await session.flush()


async def replace_name_tokens(session: AsyncSession, account_id: UUID, tokens: Iterable[str]) -> None:
    await session.execute(
        sa.delete(HouseAccountNameToken).where(HouseAccountNameToken.house_account_id == account_id)
    )
    rows = [{"token": token, "house_account_id": account_id} for token in sorted(tokens)]
    if rows:
        await session.execute(sa.insert(HouseAccountNameToken), rows)


def _candidates_statement(by_domain: bool, names: str, dialect: str) -> AnySelect | None:
    queries = []
    if by_domain:
        queries.append(
            sa.select(HouseAccount.id).where(HouseAccount.customer_domain == sa.bindparam("domain"))
        )
    by_name = owners_query(
        dialect,
        HouseAccountNameToken.token,
        HouseAccountNameToken.house_account_id,
        names,
        parameter="names",
        limit=sa.bindparam("limit", type_=sa.Integer()),
    )
    if by_name is not None:
        queries.append(by_name)
    if not queries:
        return None
    return (
        sa.select(HouseAccount.__table__)
        .where(HouseAccount.id.in_(any_of(queries)))
        .order_by(HouseAccount.id)
    )


async def matching_house_accounts(
    session: AsyncSession, *, domain: str | None, names: NameSearch, limit: int
) -> Sequence[sa.Row[Any]]:
    """House accounts with this domain, and up to `limit` sharing rare customer tokens (`name_search`), in
    one statement: rows of their columns."""
    dialect = session.get_bind().dialect.name
    statement = cached_statement(
        ("house_account_candidates", domain is not None, names.mode, dialect),
        lambda: _candidates_statement(domain is not None, names.mode, dialect),
    )
    if statement is None:
        return []
    parameters = {"domain": domain, "names": names.value, "limit": limit}
    given = bound_values(parameters)
    return await core_rows(session, statement, given)

"""Every query of the house-accounts domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.house_accounts.models import HouseAccount, HouseAccountNameToken
from partner_registry.name_search import ranked_owners


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


async def house_account_page(
    session: AsyncSession,
    *,
    country: str | None,
    customer_domain: str | None,
    after: KeysetPosition[datetime] | None,
    limit: int,
) -> list[HouseAccount]:
    """House accounts in the order they were added."""
    statement = sa.select(HouseAccount)
    if country is not None:
        statement = statement.where(HouseAccount.country == country)
    if customer_domain is not None:
        statement = statement.where(HouseAccount.customer_domain == customer_domain)
    statement = (
        statement.where(keyset_after(HouseAccount.created_at, HouseAccount.id, after, descending=False))
        .order_by(*keyset_order(HouseAccount.created_at, HouseAccount.id, descending=False))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


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


async def matching_house_accounts(
    session: AsyncSession, *, domain: str | None, tokens: Iterable[str], limit: int
) -> list[HouseAccount]:
    """House accounts with this domain, and up to `limit` sharing customer tokens, rarest shared first."""
    ids: set[UUID] = set()
    if domain is not None:
        by_domain = sa.select(HouseAccount.id).where(HouseAccount.customer_domain == domain)
        ids.update((await session.scalars(by_domain)).all())
    ids.update(
        await ranked_owners(
            session, HouseAccountNameToken.token, HouseAccountNameToken.house_account_id, tokens, limit=limit
        )
    )
    if not ids:
        return []
    statement = sa.select(HouseAccount).where(HouseAccount.id.in_(ids)).order_by(HouseAccount.id)
    return list((await session.scalars(statement)).all())

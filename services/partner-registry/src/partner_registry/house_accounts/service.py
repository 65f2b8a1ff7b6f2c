"""House accounts: the customers the vendor sells to directly, kept by the channel team.

A partner's registration for one of them is a conflict (`house_account`) and goes to review. Partners'
own credentials neither see nor change them: which customers the vendor serves itself is the vendor's
business.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, Forbidden, NotFound
from prm_kit.db import bump_version
from prm_kit.etag import check_if_match
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.deal_registrations.matching import customer_tokens, normalise_name
from partner_registry.house_accounts import repository
from partner_registry.house_accounts.models import HouseAccount
from partner_registry.house_accounts.schemas import (
    HouseAccountIn,
    HouseAccountOut,
    HouseAccountPatch,
    house_account_out,
)

ORDER = "created_at"
HOUSE_ACCOUNT_PAGE = Page[HouseAccountOut]


class HouseAccountExists(Conflict):
    slug, title = "house-account-exists", "A house account has this domain"


def ensure_vendor(viewer: Principal) -> None:
    if viewer.partner_id is not None:
        raise Forbidden(
            "house accounts are the vendor's; a partner's own credential cannot see or change them"
        )


async def _ensure_domain_free(session: AsyncSession, domain: str, *, other_than: UUID | None) -> None:
    holder = await repository.domain_holder(session, domain, other_than=other_than)
    if holder is not None:
        raise HouseAccountExists(
            f"house account {holder} already has the domain {domain}", existing_house_account_id=str(holder)
        )


async def list_house_accounts(
    session: AsyncSession,
    *,
    viewer: Principal,
    country: str | None,
    customer_domain: str | None,
    limit: int,
    cursor: str | None,
) -> Page[HouseAccountOut]:
    ensure_vendor(viewer)
    after = keyset_position(cursor, ORDER, datetime)
    accounts = await repository.house_account_page(
        session, country=country, customer_domain=customer_domain, after=after, limit=limit + 1
    )
    page = page_of(
        accounts,
        limit,
        out=lambda row: row,
        cursor_of=lambda row: keyset_cursor(ORDER, row.created_at, row.id),
    )
    # the rows' columns are HouseAccountOut's fields: validated once, from their attributes
    return HOUSE_ACCOUNT_PAGE.model_validate(page, from_attributes=True)


async def visible_house_account(
    session: AsyncSession, account_id: UUID, *, viewer: Principal
) -> HouseAccount:
    ensure_vendor(viewer)
    account = await repository.house_account_by_id(session, account_id)
    if account is None:
        raise NotFound(f"no house account {account_id}")
    return account


async def add_house_account(
    session: AsyncSession, body: HouseAccountIn, *, actor: Principal, now: datetime
) -> HouseAccount:
    ensure_vendor(actor)
    await _ensure_domain_free(session, body.customer_domain, other_than=None)
    name_key = normalise_name(body.customer_name)
    account = HouseAccount(
        id=uuid4(),
        customer_name=body.customer_name,
        customer_name_key=name_key,
        customer_domain=body.customer_domain,
        country=body.country,
        notes=body.notes or None,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.add_house_account(session, account)
    await repository.replace_name_tokens(
        session, account.id, customer_tokens(account.customer_name, account.customer_domain)
    )
    return account


async def update_house_account(
    session: AsyncSession,
    account_id: UUID,
    patch: HouseAccountPatch,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> HouseAccount:
    account = await visible_house_account(session, account_id, viewer=actor)
    check_if_match(if_match, account.version, required=True, resource="house account")
    before = house_account_out(account).model_dump(
        include={"customer_name", "customer_domain", "country", "notes"}
    )
    sent = patch.model_dump(exclude_unset=True)
    if "notes" in sent:
        sent["notes"] = sent["notes"] or None
    if all(before[name] == value for name, value in sent.items()):
        return account
    if "customer_domain" in sent and sent["customer_domain"] != account.customer_domain:
        await _ensure_domain_free(session, sent["customer_domain"], other_than=account.id)
    for name, value in sent.items():
        setattr(account, name, value)
    if "customer_name" in sent:
        account.customer_name_key = normalise_name(account.customer_name)
    if "customer_name" in sent or "customer_domain" in sent:
        await repository.replace_name_tokens(
            session, account.id, customer_tokens(account.customer_name, account.customer_domain)
        )
    await bump_version(session, account, at=now)
    return account


async def remove_house_account(
    session: AsyncSession, account_id: UUID, *, if_match: str | None, actor: Principal
) -> None:
    """Remove a house account. Conflicts found with it earlier keep its id as a reference."""
    account = await visible_house_account(session, account_id, viewer=actor)
    check_if_match(if_match, account.version, required=False, resource="house account")
    await repository.remove_house_account(session, account)

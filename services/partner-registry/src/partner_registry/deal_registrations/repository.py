"""Every query of the deal-registrations domain."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.deal_registrations import DealRegistrationStatus
from prm_kit.db import UTCDateTime
from prm_kit.db.core import column_values, core_execute, core_rows, plan_with_values, table
from prm_kit.db.json_items import EMPTY_ARRAY, constant, day, json_array, json_object, money, timestamp
from prm_kit.db.listing import (
    AnySelect,
    bound_values,
    cached_statement,
    json_rows,
    keyset_page,
    page_parameters,
)
from prm_kit.pagination import Column, KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from partner_registry.deal_registrations.models import (
    DealRegistration,
    DealRegistrationConflict,
    DealRegistrationHistoryEntry,
    DealRegistrationNameToken,
)
from partner_registry.deal_registrations.schemas import DealFilters
from partner_registry.name_search import NameSearch, any_of, owners_query, ranked_owners
from partner_registry.partners.models import Partner

S = DealRegistrationStatus
D = DealRegistration


def _open(now: datetime | sa.ColumnElement[datetime]) -> sa.ColumnElement[bool]:
    """Registrations still claiming their customer: pending, or approved and still protected."""
    return sa.or_(
        D.status == S.PENDING_REVIEW.value, sa.and_(D.status == S.APPROVED.value, D.protected_until > now)
    )


def _lapsed(status: Column, protected_until: Column, now: Any) -> sa.ColumnElement[bool]:
    """An approval whose protection has run out: it reads as expired (lifecycle.effective_status)."""
    return sa.and_(status == S.APPROVED.value, protected_until <= now)


def _status_is(
    status: DealRegistrationStatus, now: datetime | sa.ColumnElement[datetime]
) -> sa.ColumnElement[bool]:
    """The registration's effective status (lifecycle.effective_status) is `status`."""
    lapsed = _lapsed(D.status, D.protected_until, now)
    if status == S.APPROVED:
        return sa.and_(D.status == S.APPROVED.value, D.protected_until > now)
    if status == S.EXPIRED:
        return sa.or_(D.status == S.EXPIRED.value, lapsed)
    return D.status == status.value


async def registration_by_id(
    session: AsyncSession, registration_id: UUID, *, for_update: bool = False
) -> DealRegistration | None:
    """The registration with its conflicts (joined: one round trip); `for_update` locks its row until the
    transaction ends."""
    statement = (
        sa.select(D)
        .where(D.id == registration_id)
        .options(joinedload(D.conflicts))
        .execution_options(populate_existing=True)
    )
    if for_update:
        statement = statement.with_for_update(of=D)
    registration: DealRegistration | None = (await session.scalars(statement)).unique().one_or_none()
    return registration


def _lock_key(customer_key: str) -> int:
    digest = hashlib.sha256(b"deal_registration:" + customer_key.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def partner_status(session: AsyncSession, partner_id: UUID, *, lock_customer: str) -> str | None:
    """The status of the partner a registration is for (None when there is no such partner). On PostgreSQL
    the same statement takes a transaction-scoped advisory lock on the customer (its domain, or its name key
    and country without one), so that two partners registering the same customer at the same moment cannot
    both miss each other; SQLite has one writer at a time anyway."""
    dialect = session.get_bind().dialect.name

    def build() -> AnySelect:
        statement = sa.select(Partner.status).where(Partner.id == sa.bindparam("partner_id"))
        if dialect == "postgresql":
            statement = statement.add_columns(sa.func.pg_advisory_xact_lock(sa.bindparam("lock_key")))
        return statement

    parameters: dict[str, Any] = {"partner_id": partner_id}
    if dialect == "postgresql":
        parameters["lock_key"] = _lock_key(lock_customer)
    rows = await core_rows(session, cached_statement(("partner_status", dialect), build), parameters)
    return str(rows[0][0]) if rows else None


def _candidates_statement(by_domain: bool, names: str, dialect: str) -> AnySelect | None:
    """Other partners' open registrations for the customer domain (served by the domain index) and those
    whose customers share rare tokens (`name_search`), each up to the limit: what the matcher needs of them
    (plain rows, not entities). Only open registrations have tokens (they are removed when one closes), so
    the token index alone narrows the candidates; a lapsed approval not yet swept is filtered out here."""
    now, not_of = (
        sa.bindparam("now", type_=UTCDateTime()),
        sa.bindparam("partner_id", type_=D.partner_id.type),
    )
    limit = sa.bindparam("limit", type_=sa.Integer())
    queries = []
    if by_domain:
        queries.append(
            sa.select(D.id)
            .where(D.customer_domain == sa.bindparam("domain"), D.partner_id != not_of, _open(now))
            .order_by(D.created_at, D.id)
            .limit(limit)
        )
    token = DealRegistrationNameToken
    by_name = owners_query(
        dialect,
        token.token,
        token.deal_registration_id,
        names,
        conditions=[token.partner_id != not_of],
        parameter="names",
        limit=limit,
    )
    if by_name is not None:
        queries.append(by_name)
    if not queries:
        return None
    return (
        sa.select(
            D.id,
            D.partner_id,
            D.customer_name,
            D.customer_name_key,
            D.customer_domain,
            D.country,
            D.status,
            D.products,
        )
        .where(D.id.in_(any_of(queries)), _open(now))
        .order_by(D.created_at, D.id)
    )


async def registration_candidates(
    session: AsyncSession,
    *,
    domain: str | None,
    names: NameSearch,
    not_of: UUID,
    now: datetime,
    limit: int,
) -> Sequence[sa.Row[Any]]:
    """Other partners' open registrations for this customer domain or sharing its name's rare tokens, up to
    `limit` of each, oldest first, in one statement (see `_candidates_statement`)."""
    dialect = session.get_bind().dialect.name
    statement = cached_statement(
        ("registration_candidates", domain is not None, names.mode, dialect),
        lambda: _candidates_statement(domain is not None, names.mode, dialect),
    )
    if statement is None:
        return []
    parameters = {"domain": domain, "names": names.value, "partner_id": not_of, "now": now, "limit": limit}
    given = bound_values(parameters)
    return await core_rows(session, statement, given)


async def ids_sharing_name_tokens(
    session: AsyncSession, tokens: Iterable[str], *, not_of: UUID, limit: int
) -> list[UUID]:
    """Other partners' open registrations whose customers share tokens (matching.customer_tokens) with
    these, rarest shared tokens first (see name_search): the ranking `registration_candidates` embeds."""
    return await ranked_owners(
        session,
        DealRegistrationNameToken.token,
        DealRegistrationNameToken.deal_registration_id,
        tokens,
        conditions=_not_of_partner,
        parameters={"partner_id": not_of},
        limit=limit,
    )


def _not_of_partner() -> list[sa.ColumnElement[bool]]:
    token = DealRegistrationNameToken
    return [token.partner_id != sa.bindparam("partner_id", type_=token.partner_id.type)]


async def add_registration(session: AsyncSession, registration: DealRegistration) -> None:
    """Insert a new registration and its conflicts. By Core, not the session: the request only reads the
    entity it built, so it needs no identity map or unit of work."""
    await core_execute(session, sa.insert(table(D)), column_values(registration))
    if registration.conflicts:
        conflicts = [column_values(conflict) for conflict in registration.conflicts]
        await core_execute(session, sa.insert(table(DealRegistrationConflict)), conflicts)


async def add_name_tokens(
    session: AsyncSession, registration_id: UUID, partner_id: UUID, tokens: Iterable[str]
) -> None:
    rows = [
        {"token": token, "deal_registration_id": registration_id, "partner_id": partner_id}
        for token in sorted(tokens)
    ]
    if rows:
        await core_execute(session, sa.insert(table(DealRegistrationNameToken)), rows)


async def remove_name_tokens(session: AsyncSession, registration_ids: Sequence[UUID]) -> None:
    """A closed registration claims nothing: its name no longer makes others' submissions conflict."""
    if registration_ids:
        await session.execute(
            sa.delete(DealRegistrationNameToken).where(
                DealRegistrationNameToken.deal_registration_id.in_(registration_ids)
            )
        )


def _list_conditions(filters: DealFilters) -> list[sa.ColumnElement[bool]]:
    """The conditions of the filters that are set, on bound parameters (`_list_parameters`)."""
    now = sa.bindparam("now", type_=UTCDateTime())
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.partner_id is not None:
        conditions.append(D.partner_id == sa.bindparam("partner_id", type_=D.partner_id.type))
    if filters.statuses:
        conditions.append(sa.or_(*(_status_is(status, now) for status in filters.statuses)))
    if filters.customer_domain is not None:
        conditions.append(D.customer_domain == sa.bindparam("customer_domain", type_=D.customer_domain.type))
    if filters.has_conflicts is not None:
        conditions.append(D.has_conflicts.is_(filters.has_conflicts))
    if filters.expiring_within_days is not None:
        conditions.append(_status_is(S.APPROVED, now))
        conditions.append(D.protected_until <= sa.bindparam("expiring_by", type_=UTCDateTime()))
    return conditions


def _list_parameters(filters: DealFilters, now: datetime) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "now": now,
        "partner_id": filters.partner_id,
        "customer_domain": filters.customer_domain,
    }
    if filters.expiring_within_days is not None:
        parameters["expiring_by"] = now + timedelta(days=filters.expiring_within_days)
    return bound_values(parameters)


def _page_statement(
    filters: DealFilters, after: bool, dialect: str, json_disclosing: bool | None
) -> AnySelect:
    """The page (limited in a subquery), each registration either as JSON in `item` (PostgreSQL;
    `json_disclosing` True: as the channel team sees it, False: as a partner's own credential does) or, with
    `json_disclosing` None, as its columns with its conflicts as JSON rows `[position, kind, reason, score,
    other registration, other partner, house account, territory, explanation]`."""
    conditions = _list_conditions(filters)
    page = keyset_page(
        sa.select(D.__table__).where(*conditions), D.created_at, D.id, after=after, descending=True
    ).subquery("page")
    order = keyset_order(page.c.created_at, page.c.id, descending=True)
    if json_disclosing is not None:
        item = _item_json(page, disclose=json_disclosing)
        return sa.select(page.c.created_at, page.c.id, item.label("item")).order_by(*order)
    c = DealRegistrationConflict
    conflicts = (
        sa.select(
            json_rows(
                dialect,
                c.position,
                c.kind,
                c.reason,
                c.score,
                c.other_deal_registration_id,
                c.other_partner_id,
                c.house_account_id,
                c.territory_id,
                c.explanation,
            )
        )
        .where(c.deal_registration_id == page.c.id)
        .scalar_subquery()
    )
    return sa.select(page, conflicts.label("conflicts")).order_by(*order)


def _conflict_json() -> sa.ColumnElement[Any]:
    """ConflictOut's JSON of a conflict row as `schemas._conflict_fields` makes it."""
    c = DealRegistrationConflict
    fields = {
        "kind": c.kind,
        "reason": c.reason,
        "score": c.score,
        "other_registration_id": c.other_deal_registration_id,
        "other_partner_id": c.other_partner_id,
        "house_account_id": c.house_account_id,
        "territory_id": c.territory_id,
        "explanation": sa.func.nullif(c.explanation, sa.literal_column("'{}'::jsonb")),
    }
    return sa.func.json_build_object(
        *(part for name, value in fields.items() for part in (constant(name), value))
    )


def _item_json(page: sa.Subquery, *, disclose: bool) -> sa.ColumnElement[str]:
    """DealRegistrationOut's JSON of a page row as of the bound `now` (a lapsed approval reads as expired),
    written by PostgreSQL as `schemas.deal_registration_item` and the model would."""
    p, c = page.c, DealRegistrationConflict
    now = sa.bindparam("now", type_=UTCDateTime())
    status = sa.case((_lapsed(p.status, p.protected_until, now), constant(S.EXPIRED.value)), else_=p.status)
    expired_at = sa.case(
        (sa.and_(status == constant(S.EXPIRED.value), p.expired_at.is_(None)), p.protected_until),
        else_=p.expired_at,
    )
    # a partner's own credential sees `has_conflicts` only (schemas.deal_registration_out says why)
    conflicts = (
        sa.select(json_array(_conflict_json(), order_by=c.position))
        .where(c.deal_registration_id == p.id)
        .scalar_subquery()
        if disclose
        else EMPTY_ARRAY
    )
    return json_object(
        {
            "id": p.id,
            "partner_id": p.partner_id,
            "customer_name": p.customer_name,
            "customer_domain": p.customer_domain,
            "country": p.country,
            "region": p.region,
            "customer_segment": p.customer_segment,
            "products": p.products,
            "estimated_value": money(p.estimated_value_amount, p.estimated_value_currency),
            "expected_close_on": day(p.expected_close_on),
            "notes": p.notes,
            "status": status,
            "has_conflicts": p.has_conflicts,
            "conflicts": conflicts,
            "submitted_by": p.submitted_by,
            "decided_by": p.decided_by,
            "decided_at": timestamp(p.decided_at),
            "decision_reason": p.decision_reason,
            "protected_until": timestamp(p.protected_until),
            "extension_used": p.extension_used,
            "final_amount": money(p.final_amount, p.final_currency),
            "lost_reason": p.lost_reason,
            "closed_at": timestamp(p.closed_at),
            "expired_at": timestamp(expired_at),
            "version": p.version,
            "created_at": timestamp(p.created_at),
            "updated_at": timestamp(p.updated_at),
        }
    )


async def registration_page(
    session: AsyncSession,
    filters: DealFilters,
    *,
    now: datetime,
    after: KeysetPosition[datetime] | None,
    limit: int,
    disclose: bool,
) -> Sequence[sa.Row[Any]]:
    """Up to `limit` registrations after `after`, newest first, in one statement: rows of `created_at`, `id`
    and, on PostgreSQL, the registration's JSON as `item` (its conflicts in full if `disclose`, as a
    partner's own credential sees them if not); on SQLite the registration's columns and `conflicts` (JSON
    rows, see `_page_statement`) instead."""
    dialect = session.get_bind().dialect.name
    json_items = dialect == "postgresql"
    json_disclosing = disclose if json_items else None
    shape = (
        filters.partner_id is not None,
        tuple(filters.statuses),
        filters.customer_domain is not None,
        filters.has_conflicts,
        filters.expiring_within_days is not None,
    )
    statement = cached_statement(
        ("registration_page", shape, after is not None, dialect, json_disclosing),
        lambda: _page_statement(filters, after is not None, dialect, json_disclosing),
    )
    parameters = _list_parameters(filters, now) | page_parameters(after, limit)  # `now` as well
    if filters.expiring_within_days is not None:  # a range of protected_until, sorted by created_at
        await plan_with_values(session)
    return await core_rows(session, statement, parameters)


async def due_for_expiry(session: AsyncSession, *, now: datetime, limit: int) -> list[DealRegistration]:
    """Approved registrations whose protection has run out, locked; rows another sweep holds are skipped."""
    statement = (
        sa.select(D)
        .where(D.status == S.APPROVED.value, D.protected_until <= now)
        .order_by(D.protected_until, D.id)
        .limit(limit)
        .options(selectinload(D.conflicts))
        .with_for_update(of=D, skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(statement)).all())


async def add_history_entry(session: AsyncSession, entry: DealRegistrationHistoryEntry) -> None:
    """Insert a history entry (by Core: nothing reads it back in the request), after the registration's
    pending changes, as a flush of both would."""
    await session.flush()
    await core_execute(session, sa.insert(table(DealRegistrationHistoryEntry)), column_values(entry))


async def history_page(
    session: AsyncSession, registration_id: UUID, *, after: KeysetPosition[datetime] | None, limit: int
) -> list[DealRegistrationHistoryEntry]:
    """A registration's history, newest first."""
    entry = DealRegistrationHistoryEntry
    statement = (
        sa.select(entry)
        .where(
            entry.deal_registration_id == registration_id,
            keyset_after(entry.occurred_at, entry.id, after, descending=True),
        )
        .order_by(*keyset_order(entry.occurred_at, entry.id, descending=True))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())

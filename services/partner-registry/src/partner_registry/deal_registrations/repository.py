"""Every query of the deal-registrations domain."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.deal_registrations import DealRegistrationStatus
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from partner_registry.deal_registrations.models import (
    DealRegistration,
    DealRegistrationHistoryEntry,
    DealRegistrationNameToken,
)
from partner_registry.deal_registrations.schemas import DealFilters
from partner_registry.name_search import ranked_owners
from partner_registry.partners.models import Partner

S = DealRegistrationStatus
D = DealRegistration


def _open(now: datetime) -> sa.ColumnElement[bool]:
    """Registrations still claiming their customer: pending, or approved and still protected."""
    return sa.or_(
        D.status == S.PENDING_REVIEW.value, sa.and_(D.status == S.APPROVED.value, D.protected_until > now)
    )


def _status_is(status: DealRegistrationStatus, now: datetime) -> sa.ColumnElement[bool]:
    """The registration's effective status (lifecycle.effective_status) is `status`."""
    lapsed = sa.and_(D.status == S.APPROVED.value, D.protected_until <= now)
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


async def partner_status(session: AsyncSession, partner_id: UUID) -> str | None:
    """The status of the partner a registration is for; None when there is no such partner."""
    status: str | None = await session.scalar(sa.select(Partner.status).where(Partner.id == partner_id))
    return status


async def lock_customer(session: AsyncSession, customer_key: str) -> None:
    """Serialise submissions for one customer (its domain, or its name key and country without one) until
    the transaction ends (PostgreSQL), so that two partners registering the same customer at the same moment
    cannot both miss each other. SQLite has one writer at a time anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(b"deal_registration:" + customer_key.encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    await session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def open_ids_for_domain(
    session: AsyncSession, domain: str | None, *, not_of: UUID, now: datetime, limit: int
) -> list[UUID]:
    """Other partners' open registrations for this customer domain (served by the domain index); none
    without a domain."""
    if domain is None:
        return []
    statement = (
        sa.select(D.id)
        .where(D.customer_domain == domain, D.partner_id != not_of, _open(now))
        .order_by(D.created_at, D.id)
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def ids_sharing_name_tokens(
    session: AsyncSession, tokens: Iterable[str], *, not_of: UUID, limit: int
) -> list[UUID]:
    """Other partners' open registrations whose customers share tokens (matching.customer_tokens) with
    these, rarest shared tokens first (see name_search).

    Only open registrations have tokens (they are removed when one closes), so the token index alone narrows
    the candidates; a lapsed approval not yet swept is filtered out when the candidates are read.
    """
    return await ranked_owners(
        session,
        DealRegistrationNameToken.token,
        DealRegistrationNameToken.deal_registration_id,
        tokens,
        conditions=[DealRegistrationNameToken.partner_id != not_of],
        limit=limit,
    )


async def open_registrations(
    session: AsyncSession, ids: Iterable[UUID], *, now: datetime
) -> list[sa.Row[UUID, UUID, str, str, str | None, str, str, list[str]]]:
    """What the matcher needs of these registrations, of those still open (plain rows, not entities)."""
    wanted = sorted(set(ids), key=str)
    if not wanted:
        return []
    statement = (
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
        .where(D.id.in_(wanted), _open(now))
        .order_by(D.created_at, D.id)
    )
    return list((await session.execute(statement)).all())


async def add_registration(session: AsyncSession, registration: DealRegistration) -> None:
    session.add(registration)
    await session.flush()


async def add_name_tokens(
    session: AsyncSession, registration_id: UUID, partner_id: UUID, tokens: Iterable[str]
) -> None:
    rows = [
        {"token": token, "deal_registration_id": registration_id, "partner_id": partner_id}
        for token in sorted(tokens)
    ]
    if rows:
        await session.execute(sa.insert(DealRegistrationNameToken), rows)


async def remove_name_tokens(session: AsyncSession, registration_ids: Sequence[UUID]) -> None:
    """A closed registration claims nothing: its name no longer makes others' submissions conflict."""
    if registration_ids:
        await session.execute(
            sa.delete(DealRegistrationNameToken).where(
                DealRegistrationNameToken.deal_registration_id.in_(registration_ids)
            )
        )


async def registration_page(
    session: AsyncSession,
    filters: DealFilters,
    *,
    now: datetime,
    after: KeysetPosition[datetime] | None,
    limit: int,
) -> list[DealRegistration]:
    """Up to `limit` registrations after `after`, newest first, with their conflicts joined to the page (one
    round trip)."""
    statement = sa.select(D).options(joinedload(D.conflicts))
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.partner_id is not None:
        conditions.append(D.partner_id == filters.partner_id)
    if filters.statuses:
        conditions.append(sa.or_(*(_status_is(status, now) for status in filters.statuses)))
    if filters.customer_domain is not None:
        conditions.append(D.customer_domain == filters.customer_domain)
    if filters.has_conflicts is not None:
        conditions.append(D.has_conflicts.is_(filters.has_conflicts))
    if filters.expiring_within_days is not None:
        conditions.append(_status_is(S.APPROVED, now))
        conditions.append(D.protected_until <= now + timedelta(days=filters.expiring_within_days))
    conditions.append(keyset_after(D.created_at, D.id, after, descending=True))
    statement = (
        statement.where(*conditions).order_by(*keyset_order(D.created_at, D.id, descending=True)).limit(limit)
    )
    return list((await session.scalars(statement)).unique().all())


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
    session.add(entry)
    await session.flush()


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

"""The anomaly guard at ingestion (read what the rules need, raise, store the flags in the delivery's
transaction) and the review of flags.

A review is made once: an open flag becomes confirmed or dismissed with `If-Match` naming the version read;
reviewing it again is a 409. Each review emits `sales.flag_reviewed` in the same transaction, so incentives
can release (dismissed) or drop (confirmed) the lines they hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, NotFound
from prm_contracts.sales import (
    SALES_FLAG_REVIEWED,
    AnomalyFlagOut,
    FlagCode,
    FlagReviewIn,
    FlagStatus,
    SalesFlagReviewed,
    SalesLineFlag,
)
from prm_kit.db import bump_version, ordered_id
from prm_kit.etag import check_if_match
from prm_kit.outbox import add_event
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.anomalies import repository
from analytics.anomalies.models import AnomalyFlag
from analytics.anomalies.rules import GuardedLine, History, HistoryWanted, Raised
from analytics.partners import repository as partners
from analytics.partners.access import can_see, visible_partner_filter
from analytics.sales.deduplication import StoredKey

EVENT_SOURCE = "analytics"
ORDER = "created_at"


class FlagAlreadyReviewed(Conflict):
    slug, title = "flag-already-reviewed", "The flag was already reviewed"


async def read_history(session: AsyncSession, partner_id: UUID, wanted: HistoryWanted) -> History:
    """What the rules compare a delivery's lines with, stored before they are written (the portable path;
    on PostgreSQL a delivery reads it with the rest, sales/delivery_statements.py)."""
    dimension = await partners.dimension(session, partner_id)
    return History(
        daily_sales=await repository.daily_sales(session, partner_id, wanted.first, wanted.last),
        stored_repeats=await repository.stored_repeats(session, partner_id, wanted.sales_keys),
        customers_with_sales=await repository.customers_with_sales(session, partner_id, wanted.unmatched),
        partner_domain=dimension.website_domain if dimension is not None else None,
    )


async def with_originals(
    session: AsyncSession, partner_id: UUID, history: History, keys: Mapping[str, StoredKey]
) -> History:
    """`history` with the stored lines the delivery's returns and credit notes name (by their keys), read only
    when there are such lines: most deliveries are sales alone."""
    if not keys:
        return history
    return replace(history, originals=await repository.stored_originals(session, partner_id, keys))


def flag_rows(
    partner_id: UUID, lines: Sequence[GuardedLine], raised: dict[UUID, list[Raised]], *, now: datetime
) -> tuple[list[dict[str, Any]], dict[UUID, list[SalesLineFlag]]]:
    """The raised flags as open `anomaly_flag` rows, and by line id as `sales.recorded` carries them."""
    rows = []
    carried: dict[UUID, list[SalesLineFlag]] = {}
    for guarded in lines:
        for flag in raised.get(guarded.line_id, []):
            flag_id = ordered_id()
            rows.append(
                {
                    "id": flag_id,
                    "partner_id": partner_id,
                    "line_id": guarded.line_id,
                    "line_external_id": guarded.line.external_id,
                    "line_occurred_on": guarded.line.occurred_on,
                    "code": flag.code.value,
                    "reason": flag.reason,
                    "status": FlagStatus.open.value,
                    "review_note": None,
                    "reviewed_by": None,
                    "reviewed_at": None,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            carried.setdefault(guarded.line_id, []).append(
                SalesLineFlag(code=flag.code.value, reason=flag.reason, flag_id=flag_id)
            )
    return rows, carried


async def add_flags(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await repository.add_flags(session, rows)


def flag_out(flag: AnomalyFlag) -> AnomalyFlagOut:
    return AnomalyFlagOut(
        id=flag.id,
        partner_id=flag.partner_id,
        line_id=flag.line_id,
        line_external_id=flag.line_external_id,
        line_occurred_on=flag.line_occurred_on,
        code=FlagCode(flag.code),
        reason=flag.reason,
        status=FlagStatus(flag.status),
        review_note=flag.review_note,
        reviewed_by=flag.reviewed_by,
        reviewed_at=flag.reviewed_at,
        version=flag.version,
        created_at=flag.created_at,
    )


async def list_flags(
    session: AsyncSession,
    *,
    viewer: Principal,
    partner_id: UUID | None,
    status: FlagStatus | None,
    code: FlagCode | None,
    limit: int,
    cursor: str | None,
) -> Page[AnomalyFlagOut]:
    """Flags oldest first; a partner's own credential sees only its own (another partner's asked for: 404)."""
    rows = await repository.flag_page(
        session,
        partner_id=visible_partner_filter(viewer, partner_id, "anomaly flags"),
        status=status.value if status is not None else None,
        code=code.value if code is not None else None,
        after=keyset_position(cursor, ORDER, datetime),
        limit=limit + 1,
    )
    return page_of(rows, limit, out=flag_out, cursor_of=lambda r: keyset_cursor(ORDER, r.created_at, r.id))


async def visible_flag(session: AsyncSession, flag_id: UUID, *, viewer: Principal) -> AnomalyFlag:
    flag = await repository.flag_by_id(session, flag_id)
    # another partner's flag answers as an unknown one: neither that it exists nor whose it is shows
    if flag is None or not can_see(viewer, flag.partner_id):
        raise NotFound(f"no anomaly flag {flag_id}")
    return flag


async def review_flag(
    session: AsyncSession,
    flag_id: UUID,
    body: FlagReviewIn,
    *,
    reviewer: Principal,
    if_match: str | None,
    now: datetime,
) -> AnomalyFlag:
    """Confirm or dismiss an open flag (If-Match required); 409 when it was reviewed already."""
    flag = await repository.flag_by_id(session, flag_id, for_update=True)
    if flag is None:
        raise NotFound(f"no anomaly flag {flag_id}")
    check_if_match(if_match, flag.version, required=True, resource="anomaly flag")
    if flag.status != FlagStatus.open.value:
        raise FlagAlreadyReviewed(
            f"anomaly flag {flag_id} was already reviewed as {flag.status} by {flag.reviewed_by} at "
            f"{flag.reviewed_at.isoformat() if flag.reviewed_at else 'an unknown time'}; a review is final"
        )
    flag.status = body.outcome
    flag.review_note = body.note or None
    flag.reviewed_by = reviewer.subject[:200]
    flag.reviewed_at = now
    await bump_version(session, flag, at=now)
    await add_event(
        session,
        type=SALES_FLAG_REVIEWED,
        source=EVENT_SOURCE,
        data=SalesFlagReviewed(
            flag_id=flag.id,
            partner_id=flag.partner_id,
            line_id=flag.line_id,
            line_external_id=flag.line_external_id,
            line_occurred_on=flag.line_occurred_on,
            code=FlagCode(flag.code),
            outcome=body.outcome,
            reviewed_at=now,
        ),
    )
    return flag

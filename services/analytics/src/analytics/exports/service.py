"""The pages of the KPI-snapshot export: one snapshot per partner, as `GET /v1/kpis/partners/{id}` answers it
for the same caller, period and currency, partners in id order."""

from __future__ import annotations

from uuid import UUID

from prm_contracts.kpis import KpiSnapshot
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_kit.pagination import keyset_cursor, keyset_position
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.exports import repository
from analytics.kpis import service as kpis
from analytics.kpis.spans import Span

LINES_PER_PAGE = 1000  # sales lines and anomaly flags read per page of an export
PARTNERS_PER_PAGE = 50  # KPI snapshots computed per page (each a dozen rollup queries)
PARTNER_ORDER = "partner_id"


async def kpi_page(
    session: AsyncSession,
    *,
    viewer: Principal,
    partner_ids: list[UUID],
    span: Span,
    currency: str | None,
    reporting_currency: str,
    cursor: str | None,
) -> Page[KpiSnapshot]:
    """Snapshots of the partners asked for (all of them in one page), else of a partner's own credential's
    partner, else of every partner analytics knows, a page at a time."""
    if viewer.partner_id is not None and not partner_ids:
        partner_ids = [viewer.partner_id]
    if partner_ids:
        chosen, next_cursor = sorted(set(partner_ids)), None
    else:
        after = keyset_position(cursor, PARTNER_ORDER, str)
        found = await repository.known_partners(
            session, after=None if after is None else after.id, limit=PARTNERS_PER_PAGE + 1
        )
        chosen = found[:PARTNERS_PER_PAGE]
        more = len(found) > PARTNERS_PER_PAGE
        next_cursor = keyset_cursor(PARTNER_ORDER, str(chosen[-1]), chosen[-1]) if more else None
    snapshots = [
        await kpis.visible_snapshot(
            session, partner_id, span, viewer=viewer, currency=currency, reporting_currency=reporting_currency
        )
        for partner_id in chosen
    ]
    return Page[KpiSnapshot](items=snapshots, next_cursor=next_cursor)

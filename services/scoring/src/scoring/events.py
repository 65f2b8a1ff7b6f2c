"""The events scoring consumes (mounted with `prm_kit.inbox.events_router`): each marks the partner it is about
stale, in the inbox's transaction, so the refresh worker recomputes its stored score, health and tier
standing. Nothing is read from the event beyond the partner's id: the worker reads the current facts anyway.

- the registry: `partner.created`, `partner.updated`, `partner.status_changed` (dimensions, status, tier),
  `partner.tier_changed` (the tier the standing compares with);
- analytics: `kpi.updated` (the partner's sales or another KPI input changed: a target, survey answers, a
  market size, acquisition spend, a closed deal registration).

The registry emits no certification or compliance events yet; those facts are read at each refresh, and the
age sweep (`score_max_age_hours`) refreshes every score at least that often. Events of other types are
acknowledged and ignored, so a new event type upstream never blocks the stream. A known event whose data
does not name a partner is refused with 422 (the relay parks it rather than retrying it forever).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prm_contracts.events import EventEnvelope
from prm_contracts.kpis import KPI_UPDATED
from prm_contracts.partners import PARTNER_CREATED, PARTNER_STATUS_CHANGED, PARTNER_UPDATED
from prm_contracts.problem import UnprocessableContent
from prm_contracts.tiers import PARTNER_TIER_CHANGED
from prm_kit.clock import utc_now
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.scores import repository

# where each event names its partner
PARTNER_ID_AT: dict[str, tuple[str, ...]] = {
    PARTNER_CREATED: ("partner", "id"),
    PARTNER_UPDATED: ("partner", "id"),
    PARTNER_STATUS_CHANGED: ("partner_id",),
    PARTNER_TIER_CHANGED: ("partner_id",),
    KPI_UPDATED: ("partner_id",),
}


def _partner_id(event: EventEnvelope[dict[str, Any]], path: tuple[str, ...]) -> UUID:
    value: Any = event.data
    try:
        for key in path:
            value = value[key]
        return UUID(str(value))
    except (KeyError, TypeError, ValueError) as exc:
        raise UnprocessableContent(
            f"event {event.id} ({event.type}) does not name its partner at data.{'.'.join(path)}"
        ) from exc


async def mark_partner_stale(session: AsyncSession, event: EventEnvelope[dict[str, Any]]) -> None:
    """The handler of `POST /internal/events`."""
    path = PARTNER_ID_AT.get(event.type)
    if path is None:
        return
    await repository.mark_stale(session, [_partner_id(event, path)], reason=event.type, now=utc_now())

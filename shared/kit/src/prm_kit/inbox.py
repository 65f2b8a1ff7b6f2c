"""The consumer side of events: `POST /internal/events` with de-duplication by event id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter
from prm_contracts.events import EventBatch, EventEnvelope, EventReceipt
from prm_contracts.problem import UnprocessableContent
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from prm_kit.clock import utc_now
from prm_kit.db.session import SessionDep
from prm_kit.errors import summarise, validation_issues
from prm_kit.internal_auth import require
from prm_kit.outbox import inbox_event

EventHandler = Callable[[AsyncSession, EventEnvelope[dict[str, Any]]], Awaitable[None]]
M = TypeVar("M", bound=BaseModel)


def event_data(event: EventEnvelope[dict[str, Any]], model: type[M]) -> M:
    """The event's data as its contract's model; a 422 when it does not match, so the publisher's relay
    parks the event as a dead letter instead of the consumer storing half of it."""
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:
        raise UnprocessableContent(
            f"event {event.id} ({event.type}) does not match its contract: "
            f"{summarise(validation_issues(exc.errors()))}"
        ) from exc


async def first_delivery(session: AsyncSession, event_id: UUID, type: str) -> bool:
    """True the first time an event id is seen, False for a redelivery (delivery is at least once)."""
    seen = await session.scalar(sa.select(inbox_event.c.id).where(inbox_event.c.id == event_id))
    if seen is not None:
        return False
    await session.execute(sa.insert(inbox_event).values(id=event_id, type=type, received_at=utc_now()))
    return True


def events_router(handle: EventHandler) -> APIRouter:
    """A service subscribes by mounting this with its handler; the batch is applied in one transaction."""
    router = APIRouter(include_in_schema=False)

    @router.post("/internal/events", response_model=EventReceipt, dependencies=[require("internal")])
    async def receive_events(batch: EventBatch, session: SessionDep) -> EventReceipt:
        accepted = duplicates = 0
        for event in batch.events:
            if await first_delivery(session, event.id, event.type):
                await handle(session, event)
                accepted += 1
            else:
                duplicates += 1
        return EventReceipt(accepted=accepted, duplicates=duplicates)

    return router

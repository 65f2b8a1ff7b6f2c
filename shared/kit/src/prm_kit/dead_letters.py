"""Dead letters for admins: the events a subscriber refused for good, which the relay parked (prm_kit.relay).

Every service mounts `dead_letters_router` (through `create_service_app`) under
`/v1/event-dead-letters/<service>`, which the gateway routes to that service for admin keys only:
`GET` lists them, `POST …/{event_id}/replays` sends a parked event again to the subscriber that parked it,
now and once. Taken: the letter is marked replayed. Refused or not answered: it stays parked with the new
error, which the answer shows (a 200 either way: the replay itself was done and recorded).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import httpx
import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from prm_contracts.pagination import Page
from prm_contracts.principal import ADMIN_SCOPE
from prm_contracts.problem import Conflict, NotFound
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue
from sqlalchemy.ext.asyncio import AsyncSession

from prm_kit.clock import NowDep
from prm_kit.db.session import SessionDep, end_reading
from prm_kit.errors import problems
from prm_kit.internal_auth import require
from prm_kit.outbox import outbox_dead_letter, outbox_event
from prm_kit.pagination import (
    CursorQuery,
    LimitQuery,
    keyset_after,
    keyset_cursor,
    keyset_order,
    keyset_position,
    page_of,
)
from prm_kit.relay import DETAIL_LENGTH, post_events

TAG = "event-dead-letters"
OPENAPI_TAG = {
    "name": TAG,
    "description": "Events a subscriber refused for good, parked by the outbox relay so the events after "
    "them flow on (each service has its own, under `/v1/event-dead-letters/<service>`), and their replay. "
    "Admin keys only.",
}
PATH_PREFIX = "/v1/event-dead-letters"
_ORDER = "parked_at-desc"


class DeadLetterState(StrEnum):
    parked = "parked"
    replayed = "replayed"
    all = "all"


_LETTER_EXAMPLE: dict[str, JsonValue] = {
    "service": "registry",
    "event_id": "6f1c1d1e-1111-4a4a-8b8b-000000000001",
    "event_type": "partner.tier_changed",
    "occurred_at": "2026-11-30T09:00:00Z",
    "subscriber": "http://analytics:8000",
    "status_code": 422,
    "detail": "data.tier: 'diamond' is not a known tier",
    "attempts": 5,
    "parked_at": "2026-11-30T09:00:31Z",
    "replayed_at": None,
}


class EventDeadLetterOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_LETTER_EXAMPLE]})

    service: str = Field(description="The service whose event it is (the publisher).")
    event_id: UUID
    event_type: str = Field(examples=["partner.tier_changed"])
    occurred_at: AwareDatetime = Field(description="When the event happened.")
    subscriber: str = Field(description="Base URL of the subscriber that refused it.")
    status_code: int = Field(description="The HTTP status of the subscriber's last refusal.")
    detail: str | None = Field(
        default=None, description="What the subscriber said (its problem's detail, shortened)."
    )
    attempts: int = Field(description="How often the subscriber refused the event on its own.")
    parked_at: AwareDatetime
    replayed_at: AwareDatetime | None = Field(
        default=None, description="When a replay was taken; null while parked."
    )


class EventReplayIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"subscriber": "http://analytics:8000"}]}
    )

    subscriber: str | None = Field(
        default=None,
        max_length=500,
        description="Replay to this subscriber only; default: every subscriber that has it parked.",
    )


class EventReplayOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": _LETTER_EXAMPLE["event_id"],
                    "replayed": True,
                    "dead_letters": [{**_LETTER_EXAMPLE, "replayed_at": "2026-11-30T11:12:00Z"}],
                }
            ]
        }
    )

    event_id: UUID
    replayed: bool = Field(description="Whether every subscriber it was sent to took it.")
    dead_letters: list[EventDeadLetterOut] = Field(description="The letters replayed, as they are now.")


def dead_letters_router(service: str) -> APIRouter:
    """The admin endpoints of one service's dead letters; operation ids name the service, so the merged
    document keeps one pair per service."""
    slug = re.sub(r"\W+", "_", service)
    router = APIRouter(prefix=f"{PATH_PREFIX}/{service}", tags=[TAG], dependencies=[require(ADMIN_SCOPE)])

    @router.get(
        "",
        name=f"list_{slug}_event_dead_letters",
        response_model=Page[EventDeadLetterOut],
        responses=problems(422),
        summary=f"List the {service} service's dead letters",
        description="Events of this service that a subscriber refused for good, newest parked first: "
        "`state=parked` (default) those still parked, `replayed` those a replay delivered, `all` both.",
    )
    async def list_dead_letters(
        session: SessionDep,
        limit: LimitQuery = 50,
        cursor: CursorQuery = None,
        state: Annotated[DeadLetterState, Query(description="Which letters.")] = DeadLetterState.parked,
    ) -> Page[EventDeadLetterOut]:
        after = keyset_position(cursor, _ORDER, datetime)
        query = (
            _letters_query()
            .where(
                keyset_after(outbox_dead_letter.c.parked_at, outbox_dead_letter.c.id, after, descending=True)
            )
            .order_by(*keyset_order(outbox_dead_letter.c.parked_at, outbox_dead_letter.c.id, descending=True))
            .limit(limit + 1)
        )
        if state is DeadLetterState.parked:
            query = query.where(outbox_dead_letter.c.replayed_at.is_(None))
        elif state is DeadLetterState.replayed:
            query = query.where(outbox_dead_letter.c.replayed_at.is_not(None))
        rows = (await session.execute(query)).all()
        return page_of(
            rows,
            limit,
            out=lambda row: _letter_out(service, row),
            cursor_of=lambda row: keyset_cursor(_ORDER, row.parked_at, row.id),
        )

    @router.post(
        "/{event_id}/replays",
        name=f"replay_{slug}_event_dead_letter",
        response_model=EventReplayOut,
        responses=problems(404, 409, 422),
        summary=f"Replay one of the {service} service's dead letters",
        description="Sends the parked event again, now and once, to each subscriber that has it parked (or "
        "to `subscriber` only). Taken: the letter is marked replayed. Refused or not answered: it stays "
        "parked with the new error. 404: no letter of this event (for that subscriber); 409: it was "
        "replayed already.",
    )
    async def replay_dead_letter(
        event_id: UUID,
        request: Request,
        session: SessionDep,
        now: NowDep,
        body: EventReplayIn | None = None,
    ) -> EventReplayOut:
        subscriber = body.subscriber.rstrip("/") if body and body.subscriber else None
        letters = await _letters_of_event(session, event_id, subscriber)
        parked = [row for row in letters if row.replayed_at is None]
        if not letters:
            to_whom = f" for subscriber {subscriber}" if subscriber else ""
            raise NotFound(f"event {event_id} has no dead letter{to_whom} in the {service} service")
        if not parked:
            raise Conflict(f"event {event_id} was replayed already to every subscriber that had parked it")
        await end_reading(session)  # read, call, then write: no lock waits on a subscriber
        http: httpx.AsyncClient = request.app.state.events_http
        for row in parked:
            answer = await post_events(http, row.subscriber, [row.payload])
            values: dict[str, Any] = (
                {"replayed_at": now}
                if answer.accepted
                else {
                    "status_code": answer.status_code or row.status_code,
                    "detail": (answer.detail or answer.error or "")[:DETAIL_LENGTH],
                }
            )
            await session.execute(
                sa.update(outbox_dead_letter).where(outbox_dead_letter.c.id == row.id).values(values)
            )
        chosen = {row.id for row in parked}
        replayed = [
            _letter_out(service, row)
            for row in await _letters_of_event(session, event_id, subscriber)
            if row.id in chosen
        ]
        return EventReplayOut(
            event_id=event_id,
            replayed=all(letter.replayed_at is not None for letter in replayed),
            dead_letters=replayed,
        )

    return router


def _letters_query() -> sa.Select[Any]:
    return (
        sa.select(
            outbox_dead_letter.c.id,
            outbox_dead_letter.c.event_id,
            outbox_event.c.type,
            outbox_event.c.occurred_at,
            outbox_event.c.payload,
            outbox_dead_letter.c.subscriber,
            outbox_dead_letter.c.status_code,
            outbox_dead_letter.c.detail,
            outbox_dead_letter.c.attempts,
            outbox_dead_letter.c.parked_at,
            outbox_dead_letter.c.replayed_at,
        )
        .join(outbox_event, outbox_event.c.id == outbox_dead_letter.c.event_id)
        .where(outbox_dead_letter.c.parked_at.is_not(None))
    )


async def _letters_of_event(session: AsyncSession, event_id: UUID, subscriber: str | None) -> list[Any]:
    query = (
        _letters_query().where(outbox_dead_letter.c.event_id == event_id).order_by(outbox_dead_letter.c.id)
    )
    if subscriber is not None:
        query = query.where(outbox_dead_letter.c.subscriber == subscriber)
    return list((await session.execute(query)).all())


def _letter_out(service: str, row: Any) -> EventDeadLetterOut:
    return EventDeadLetterOut(
        service=service,
        event_id=row.event_id,
        event_type=row.type,
        occurred_at=row.occurred_at,
        subscriber=row.subscriber,
        status_code=row.status_code,
        detail=row.detail,
        attempts=row.attempts,
        parked_at=row.parked_at,
        replayed_at=row.replayed_at,
    )

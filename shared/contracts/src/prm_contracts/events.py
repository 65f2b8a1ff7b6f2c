"""Event envelopes: what the outbox relays from one service to its subscribers."""

from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

D = TypeVar("D")


class EventEnvelope(BaseModel, Generic[D]):
    id: UUID = Field(description="Unique per event; consumers de-duplicate on it.")
    type: str = Field(
        description="Past tense, e.g. 'partner.tier_changed'.", examples=["partner.tier_changed"]
    )
    occurred_at: AwareDatetime
    source: str = Field(description="The service that emitted it, e.g. 'partner-registry'.")
    data: D


class EventBatch(BaseModel):
    events: list[EventEnvelope[dict[str, Any]]]


class EventReceipt(BaseModel):
    accepted: int
    duplicates: int

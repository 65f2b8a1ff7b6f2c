"""What the admin API accepts and answers about API keys; the secret appears only in `ApiKeyCreated`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from gateway.scopes import KNOWN_SCOPES

NAME_MAX_LENGTH = 200


def _known(scope: str) -> str:
    if scope not in KNOWN_SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    return scope


ScopeName = Annotated[
    str,
    AfterValidator(_known),
    Field(json_schema_extra={"enum": list(KNOWN_SCOPES)}, examples=["partners:read"]),
]


class ApiKeyIn(BaseModel):
    # an unknown field is refused, not dropped: `expires_at` sent to a gateway without expiries would make a
    # key its creator believes expires
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH, examples=["partner-portal"])
    scopes: list[ScopeName] = Field(
        min_length=1,
        description="`admin` allows everything; `<resource>:write` implies `<resource>:read`.",
    )
    partner_id: UUID | None = Field(
        default=None, description="Bind the key to one partner: it then sees and changes only that partner."
    )


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    prefix: str = Field(
        description="The key's public start, `prm_<id>`, to recognise it; not a secret.",
        examples=["prm_a1b2c3d4"],
    )
    scopes: list[str] = Field(examples=[["partners:read", "deal-registrations:write"]])
    partner_id: UUID | None
    created_at: datetime
    last_used_at: datetime | None = Field(description="Recorded at most once a minute.")
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(
        description="The API key itself. Shown only in this answer: it is stored only hashed.",
        examples=["prm_a1b2c3d4_EXAMPLE-not-a-real-key-0123456789abcdefghij"],
    )

"""Bodies of the onboarding checklist and completion endpoints, and ORM → body conversion."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from prm_contracts.partners import Name
from prm_contracts.text import NOT_BLANK
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

MAX_CHANGES = 50

ItemKey = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,49}$"),
    Field(description="Lower-case letters, digits and `_`, starting with a letter.", examples=["nda_signed"]),
]
Note = Annotated[str, StringConstraints(min_length=1, max_length=2000), NOT_BLANK]


class ChecklistItemChange(BaseModel):
    """A change to one item, named by `key`. A key the checklist does not have yet adds a custom item (it
    needs a `label`). `completed: true` records who and when (kept if it was done already), `false` undoes
    it; `note: null` clears the note; `remove: true` removes a custom item."""

    model_config = ConfigDict(extra="forbid")

    key: ItemKey
    label: Name | None = Field(default=None, description="Custom items only.", examples=["NDA signed"])
    completed: StrictBool | None = None
    note: Note | None = Field(default=None, examples=["Signed via DocuSign, envelope 4711"])
    remove: StrictBool = False


def _distinct_keys(changes: list[ChecklistItemChange]) -> list[ChecklistItemChange]:
    keys = [change.key for change in changes]
    if len(set(keys)) != len(keys):
        raise PydanticCustomError("key_repeated", "each item may be changed only once per request")
    return changes


class ChecklistPatch(BaseModel):
    """Changes to items of the checklist. Needs `If-Match` (`"0"` for a checklist never changed)."""

    model_config = ConfigDict(extra="forbid")

    items: Annotated[
        list[ChecklistItemChange], Field(min_length=1, max_length=MAX_CHANGES), AfterValidator(_distinct_keys)
    ]


class ChecklistItemOut(BaseModel):
    key: str
    label: str
    standard: bool = Field(description="One of the items every partner's checklist has; cannot be removed.")
    completed: bool
    completed_at: AwareDatetime | None
    completed_by: str | None = Field(description="The subject of the principal that completed the item.")
    note: str | None


class ChecklistOut(BaseModel):
    """A partner's onboarding checklist; the partner can become active once `complete`."""

    partner_id: UUID
    items: list[ChecklistItemOut]
    complete: bool
    incomplete: list[str] = Field(
        description="The keys of the items not completed yet.", examples=[["agreement_signed"]]
    )
    version: int = Field(
        description="Incremented on every change (0 until the first); the ETag is this number in quotes."
    )
    updated_at: AwareDatetime | None = Field(description="Null until the checklist is first changed.")


class OnboardingCompletionIn(BaseModel):
    """Completes a partner's onboarding: onboarding → active."""

    model_config = ConfigDict(extra="forbid")

    note: Note | None = Field(default=None, description="Recorded as the reason of the status transition.")

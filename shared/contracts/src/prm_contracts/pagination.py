"""Cursor pages: `{"items": [...], "next_cursor": ...}`."""

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Opaque; pass as `cursor` to get the next page. Null on the last page."
    )

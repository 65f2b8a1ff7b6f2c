"""PATCH bodies: a field left out keeps its value; `null` is accepted only where it clears the value.

Declare a field `T | None = None` when `null` clears it, and `Omittable[T] = None` when it can be changed
but never cleared. The Python value is None in both cases when the field was left out (services read
`model_dump(exclude_unset=True)`), but an `Omittable` field refuses an explicit `null` (422
`null_not_allowed`), and its JSON schema says so: the type has no `null` branch and no `null` default, so
a generated client does not offer to send one.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import Field, GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

T = TypeVar("T")


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("null_not_allowed", "may not be null; leave the field out to keep it")
    return value


class _NotNull:
    """Validates the non-null type only; `null` is refused before it (the field's None default is not
    validated, so leaving the field out still works)."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = handler(source)
        inner = schema["schema"] if schema["type"] == "nullable" else schema
        return core_schema.no_info_before_validator_function(_refuse_null, inner)


def _without_null_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


Omittable = Annotated[T | None, Field(json_schema_extra=_without_null_default), _NotNull()]

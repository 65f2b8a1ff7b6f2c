"""Single-line text: names, labels and regions hold no tab or line break, where notes and descriptions may.

Every other control character (C0 but tab/LF/CR, DEL, C1) never reaches a model: the services refuse it at
the edge (`prm_kit.text_guard`). Tab and line breaks are ordinary text in a multi-line field, but in a name
they break one-line displays, CSV exports and log lines, and make two names that look the same differ; a
single-line field refuses them (after its surrounding whitespace is stripped) with 422 `single_line`.

    Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), SINGLE_LINE]
"""

from __future__ import annotations

from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

SINGLE_LINE_PATTERN = r"^[^\t\n\r]*$"
_LINE_BREAKS = ("\t", "\n", "\r")


def _one_line(value: str) -> str:
    if any(character in value for character in _LINE_BREAKS):
        raise PydanticCustomError("single_line", "must be one line: no tab, line feed or carriage return")
    return value


class SingleLine:
    """`Annotated` metadata of a string type: refuses tab, LF and CR after the string's own constraints (so
    stripped surrounding whitespace does not count), and says so in the JSON schema's `pattern`."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_one_line, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.setdefault("pattern", SINGLE_LINE_PATTERN)
        return json_schema


SINGLE_LINE = SingleLine()

"""Free text as clients send it: surrounding whitespace stripped, whitespace alone refused where text is
required, and names, labels and regions on one line, where notes and descriptions may span several.

Every other control character (C0 but tab/LF/CR, DEL, C1) never reaches a model: the services refuse it at
the edge (`prm_kit.text_guard`). Tab and line breaks are ordinary text in a multi-line field, but in a name
they break one-line displays, CSV exports and log lines, and make two names that look the same differ; a
single-line field refuses them (after its surrounding whitespace is stripped) with 422 `single_line`.

The document states each rule exactly as the API applies it, so a client reading it is never surprised:
`minLength`/`maxLength` count the text as sent (the string's own constraints run before the strip), and
`pattern` says what stripping would otherwise hide (whitespace alone is refused; around one line, any
whitespace is allowed).

    Name = Annotated[str, StringConstraints(min_length=1, max_length=200), NOT_BLANK, SINGLE_LINE]
    Notes = Annotated[str, StringConstraints(min_length=1, max_length=4000), NOT_BLANK]
    Description = Annotated[str, StringConstraints(max_length=4000), STRIPPED]
"""

from __future__ import annotations

from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

NOT_BLANK_PATTERN = r"\S"
# One line, in any surrounding whitespace (stripped first); with NOT_BLANK, holding a character that is not
# whitespace.
SINGLE_LINE_PATTERN = r"^\s*(\S([^\t\n\r]*\S)?)?\s*$"
SINGLE_LINE_NOT_BLANK_PATTERN = r"^\s*\S([^\t\n\r]*\S)?\s*$"
_LINE_BREAKS = ("\t", "\n", "\r")


# Second steps of a chain after the string's own constraints: pydantic-core strips (and counts) natively, so
# the webhook's thousand lines pay no Python call per field.
_STRIP = core_schema.str_schema(strip_whitespace=True)
_STRIP_NOT_BLANK = core_schema.str_schema(strip_whitespace=True, min_length=1)


def _one_line(value: str) -> str:
    if any(character in value for character in _LINE_BREAKS):
        raise PydanticCustomError("single_line", "must be one line: no tab, line feed or carriage return")
    return value


class Stripped:
    """`Annotated` metadata: surrounding whitespace is stripped after the string's own constraints."""

    _step = _STRIP

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.chain_schema([handler(source), self._step])

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return _as_sent(schema, handler)


class NotBlank(Stripped):
    """`Annotated` metadata: stripped as `Stripped`, and refused when nothing is left (422
    `string_too_short`); the JSON schema's `pattern` asks for a character that is not whitespace."""

    _step = _STRIP_NOT_BLANK

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = super().__get_pydantic_json_schema__(schema, handler)
        json_schema.setdefault("pattern", NOT_BLANK_PATTERN)
        return json_schema


class SingleLine:
    """`Annotated` metadata after `NotBlank` or `Stripped`: refuses tab, LF and CR in the stripped text, and
    says so in the JSON schema's `pattern` (which, after `NotBlank`, asks for a non-whitespace character too)."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_one_line, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        not_blank = json_schema.get("pattern") == NOT_BLANK_PATTERN
        json_schema["pattern"] = SINGLE_LINE_NOT_BLANK_PATTERN if not_blank else SINGLE_LINE_PATTERN
        return json_schema


def _as_sent(schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
    """The JSON schema of the string as sent (the chain's first step), in requests and answers alike: pydantic
    would describe an answer by the chain's last step, which has lost the lengths. `schema` is the type's
    whole schema (a later annotation, such as SINGLE_LINE, may wrap the chain)."""
    inner: Any = schema
    while inner["type"] != "chain":
        inner = inner["schema"]
    return handler(inner["steps"][0])


STRIPPED = Stripped()
NOT_BLANK = NotBlank()
SINGLE_LINE = SingleLine()

"""The CSV shape of an answer model: one column per leaf field, nested models flattened with `_`
(`revenue` → `revenue_value`, `revenue_reason`, `revenue_unit`), each cell the text the JSON answer holds
for that field (decimal strings exactly, dates ISO 8601, null empty, lists as compact JSON). Pure.

One exception: text a spreadsheet would run as a formula (a customer named `=HYPERLINK(…)` sent by a partner
system) starts with `'`, as OWASP advises for CSV files people open; numbers such as `-0.25` stay as they are.
"""

from __future__ import annotations

import csv
import io
import json
import re
import types
from collections.abc import Iterable, Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (also when optional), or None for a leaf (a list of models is a leaf)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        for argument in get_args(annotation):
            if isinstance(argument, type) and issubclass(argument, BaseModel):
                return argument
    return None


def columns(model: type[BaseModel], prefix: str = "") -> list[str]:
    """The header of `model`'s rows."""
    names: list[str] = []
    for name, field in model.model_fields.items():
        nested = _nested_model(field.annotation)
        names += columns(nested, f"{prefix}{name}_") if nested is not None else [prefix + name]
    return names


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def defused(text: str) -> str:
    """`text`, with `'` in front when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text) else text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return defused(str(value))


def _cells(model: type[BaseModel], data: dict[str, Any] | None) -> list[str]:
    cells: list[str] = []
    for name, field in model.model_fields.items():
        nested = _nested_model(field.annotation)
        value = None if data is None else data.get(name)
        cells += _cells(nested, value) if nested is not None else [_text(value)]
    return cells


def cells(item: BaseModel) -> list[str]:
    """One row: `item` as its JSON answer shows it, in the order of `columns(type(item))`."""
    return _cells(type(item), item.model_dump(mode="json"))


def csv_bytes(rows: Iterable[Sequence[str]]) -> bytes:
    """RFC 4180 text (CRLF line ends, quoting where needed), UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()

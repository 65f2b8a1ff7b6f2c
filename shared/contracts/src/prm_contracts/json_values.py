"""Free-form JSON values (questionnaire answers, gate values): anything JSON can carry, and nothing more.

A body is parsed by Python's `json`, which lets through what no JSON encoder writes back: a lone UTF-16
surrogate (`"\\ud800"`, which UTF-8 cannot encode: storing or answering it fails, or a key comes back as
U+FFFD) and the numbers `NaN`, `Infinity`, `-Infinity` and `1e999` (not JSON, RFC 8259 §6; stored as null).
Typed fields refuse floats and check their text; a free-form one (`Any`) needs `check_json_value`, which
names where inside the value the offending part is (the field itself is the error's `loc`): 422, not a 500
or a value silently changed.

    answers: JsonObject
    value: Annotated[Any, AfterValidator(check_json_value)]
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a valid pair is one code point once decoded


def _shown(text: str) -> str:
    """`text` with its surrogates written as `\\udxxx`, so that a message quoting it is valid UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _at(path: list[str | int]) -> str:
    """Where in the value: `at ["answers"][0]: `, or nothing for the value itself."""
    if not path:
        return ""
    return (
        "at "
        + "".join(f"[{part}]" if isinstance(part, int) else f'["{_shown(part)}"]' for part in path)
        + ": "
    )


def _unfit(value: Any, path: list[str | int]) -> PydanticCustomError | None:
    """The first part of `value` JSON cannot carry, as the error refusing it; None when there is none."""
    if isinstance(value, str) and _LONE_SURROGATE.search(value):
        return PydanticCustomError(
            "lone_surrogate",
            "{at}a lone UTF-16 surrogate ({text}) is not a character: send text as UTF-8 (a character beyond "
            "U+FFFF escaped as a surrogate pair)",
            {"at": _at(path), "text": _shown(value)[:40]},
        )
    if isinstance(value, float) and not math.isfinite(value):
        return PydanticCustomError(
            "non_finite_number",
            "{at}NaN, Infinity and numbers beyond a double's range (such as 1e999) are not JSON numbers",
            {"at": _at(path)},
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _LONE_SURROGATE.search(key):
                return PydanticCustomError(
                    "lone_surrogate",
                    "{at}the key {text} holds a lone UTF-16 surrogate, which is not a character",
                    {"at": _at(path), "text": f'"{_shown(key)[:40]}"'},
                )
            if (error := _unfit(item, [*path, key])) is not None:
                return error
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (error := _unfit(item, [*path, index])) is not None:
                return error
    return None


def check_json_value(value: Any) -> Any:
    """`value` unchanged, unless some part of it is a lone surrogate or a number JSON has not (422)."""
    error = _unfit(value, [])
    if error is not None:
        raise error
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(check_json_value)]

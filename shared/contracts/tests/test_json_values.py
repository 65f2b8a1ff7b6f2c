"""Free-form JSON values: whatever JSON carries passes unchanged; a lone surrogate or a number JSON has not is
refused, saying where inside the value it is."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prm_contracts.json_values import JsonObject
from pydantic import BaseModel, ValidationError


class Answers(BaseModel):
    answers: JsonObject


def refusal(text: str) -> dict[str, Any]:
    """The one error refusing the body `text` (JSON as Python's json reads it)."""
    with pytest.raises(ValidationError) as caught:
        Answers.model_validate(json.loads(text))
    [error] = caught.value.errors()
    return {"loc": error["loc"], "type": error["type"], "msg": error["msg"]}


def test_anything_json_carries_is_kept_as_sent() -> None:
    sent = {"a": ["x", 1, 2.5, -0.0, None, True], "b": {"é": "\U0001f600", "nested": [[{}]]}, "c": 10**30}

    assert Answers.model_validate({"answers": sent}).answers == sent
    # a surrogate pair, as an ensure_ascii encoder writes U+1F600, is one character once read
    assert Answers.model_validate_json('{"answers": {"m": "\\ud83d\\ude00"}}').answers == {"m": "\U0001f600"}


@pytest.mark.parametrize(
    ("text", "type_", "msg_start"),
    [
        ('{"answers": {"q": "\\ud800"}}', "lone_surrogate", 'at ["q"]: a lone UTF-16 surrogate (\\ud800)'),
        ('{"answers": {"q": ["a", {"b": "x\\udfffy"}]}}', "lone_surrogate", 'at ["q"][1]["b"]: '),
        ('{"answers": {"\\udc00": 1}}', "lone_surrogate", 'the key "\\udc00" holds a lone UTF-16 surrogate'),
        ('{"answers": {"q\\ud800": {"r": 1}}}', "lone_surrogate", 'the key "q\\ud800"'),
        ('{"answers": {"n": NaN}}', "non_finite_number", 'at ["n"]: NaN, Infinity'),
        ('{"answers": {"n": [Infinity]}}', "non_finite_number", 'at ["n"][0]: '),
        ('{"answers": {"n": -1e999}}', "non_finite_number", 'at ["n"]: '),
    ],
)
def test_what_json_cannot_carry_is_refused_at_the_field_saying_where(
    text: str, type_: str, msg_start: str
) -> None:
    error = refusal(text)

    assert (error["loc"], error["type"]) == (("answers",), type_)
    assert error["msg"].startswith(msg_start), error["msg"]
    error["msg"].encode("utf-8")  # the message itself can be answered

"""A refusal names the value it refused: no message template reaches a client unfilled."""

from __future__ import annotations

from typing import Any

import pytest
from prm_contracts.deal_registrations import CustomerDomain
from prm_contracts.partners import CountryCode, WebsiteDomain
from prm_contracts.scoring import GradeBands
from pydantic import TypeAdapter, ValidationError


@pytest.mark.parametrize(
    ("annotation", "value", "expected"),
    [
        (CountryCode, "XX", "country must be an ISO 3166-1 alpha-2 code such as DE or US, got 'XX'"),
        (WebsiteDomain, "not a domain", "got 'not a domain'"),
        (CustomerDomain, "-bad-.com", "got '-bad-.com'"),
        (WebsiteDomain, "{value}", "got '{value}'"),  # braces a client sends stay as sent
    ],
)
def test_the_message_names_the_refused_value(annotation: Any, value: str, expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(annotation).validate_python(value)

    [error] = caught.value.errors()
    assert expected in error["msg"]
    assert "!r}" not in error["msg"]


def test_a_key_used_twice_is_named() -> None:
    bands = [{"grade": "A", "min_score": "50"}, {"grade": "A", "min_score": "0"}]

    with pytest.raises(ValidationError) as caught:
        TypeAdapter(GradeBands).validate_python(bands)

    [error] = caught.value.errors()
    assert error["msg"] == "grade key 'A' is used twice"

"""Single-line text refuses tab and line breaks inside it, after its surrounding whitespace is stripped; the
document's pattern of every stripped text type accepts exactly what its validation accepts."""

from __future__ import annotations

import itertools
import re
from typing import Annotated, Any

import pytest
from prm_contracts.partners import Name, RegistrationNumber
from prm_contracts.text import (
    NOT_BLANK,
    SINGLE_LINE,
    SINGLE_LINE_NOT_BLANK_PATTERN,
    SINGLE_LINE_PATTERN,
    STRIPPED,
)
from prm_contracts.tiers import TIER_KEY_PATTERN, TierKeyValue
from pydantic import BaseModel, StringConstraints, TypeAdapter, ValidationError

pytestmark = pytest.mark.backend_independent

Code = Annotated[str, StringConstraints(min_length=1, max_length=4), NOT_BLANK, SINGLE_LINE]


class Named(BaseModel):
    name: Name
    code: Code | None = None


@pytest.mark.parametrize("name", ["Acme\nGmbH", "Acme\tGmbH", "Acme\r\nGmbH", "Acme\rGmbH"])
def test_a_name_with_a_tab_or_line_break_inside_is_refused(name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Named(name=name)

    assert [(e["type"], e["loc"]) for e in refused.value.errors()] == [("single_line", ("name",))]


def test_surrounding_whitespace_is_stripped_first_and_other_text_passes() -> None:
    named = Named(name="\t Müller & Söhne GmbH\r\n", code=" AB\n")

    assert (named.name, named.code) == ("Müller & Söhne GmbH", "AB")


def test_the_type_keeps_its_own_constraints_and_messages() -> None:
    with pytest.raises(ValidationError) as refused:
        Named(name="x", code="toolong")

    assert [e["type"] for e in refused.value.errors()] == ["string_too_long"]


def test_the_json_schema_says_one_line() -> None:
    properties = Named.model_json_schema()["properties"]

    assert properties["name"]["pattern"] == SINGLE_LINE_NOT_BLANK_PATTERN
    assert properties["name"]["maxLength"] == 200
    assert properties["code"]["anyOf"][0]["pattern"] == SINGLE_LINE_NOT_BLANK_PATTERN


OptionalLine = Annotated[str, StringConstraints(max_length=4), STRIPPED, SINGLE_LINE]
Notes = Annotated[str, StringConstraints(min_length=1, max_length=4), NOT_BLANK]
Description = Annotated[str, StringConstraints(max_length=4), STRIPPED]
# Every string of up to five characters (one beyond the types' maxLength) over an alphabet of letters, spaces, the line breaks, tab, a no-break
# space (whitespace that str.strip removes too) and the registration number's punctuation.
_ALPHABET = ["a", "B", "7", " ", "\n", "\t", "\r", "\u00a0", "-", "/"]
_SAMPLES = ["".join(chars) for length in range(6) for chars in itertools.product(_ALPHABET, repeat=length)]


@pytest.mark.parametrize(
    ("text_type", "expected_pattern"),
    [
        (Code, SINGLE_LINE_NOT_BLANK_PATTERN),
        (OptionalLine, SINGLE_LINE_PATTERN),
        (Notes, r"\S"),
        (Description, None),
        (RegistrationNumber, None),
        (TierKeyValue, TIER_KEY_PATTERN),
    ],
    ids=[
        "single line",
        "single line, may be blank",
        "multi-line",
        "multi-line, may be blank",
        "registration",
        "identifier, as sent",
    ],
)
def test_the_document_accepts_exactly_what_validation_accepts(
    text_type: Any, expected_pattern: str | None
) -> None:
    adapter: TypeAdapter[str] = TypeAdapter(text_type)
    schema = adapter.json_schema()
    assert schema.get("pattern") == (expected_pattern or schema.get("pattern"))

    disagreeing = [sample for sample in _SAMPLES if _documented(schema, sample) != _accepted(adapter, sample)]

    assert disagreeing == []


def _documented(schema: dict[str, Any], sample: str) -> bool:
    """Whether the JSON schema's string keywords allow the sample (lengths count what is sent). Its patterns
    are ECMA-262, where `$` is the end of the text; Python's `$` also matches before a final line feed."""
    pattern = schema.get("pattern")
    ecma = None if pattern is None else re.sub(r"\$$", r"\\Z", pattern)
    return schema.get("minLength", 0) <= len(sample) <= schema.get("maxLength", len(sample)) and (
        ecma is None or re.search(ecma, sample) is not None
    )


def _accepted(adapter: TypeAdapter[str], sample: str) -> bool:
    try:
        adapter.validate_python(sample)
    except ValidationError:
        return False
    return True


def test_lengths_count_the_text_as_sent_and_what_is_kept_is_stripped() -> None:
    assert TypeAdapter(Notes).validate_python("a\nb ") == "a\nb"
    with pytest.raises(ValidationError):
        TypeAdapter(Notes).validate_python("  abc")  # three characters kept, five sent

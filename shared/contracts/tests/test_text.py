"""Single-line text refuses tab and line breaks inside it, after its surrounding whitespace is stripped."""

from __future__ import annotations

from typing import Annotated

import pytest
from prm_contracts.partners import Name
from prm_contracts.text import SINGLE_LINE, SINGLE_LINE_PATTERN
from pydantic import BaseModel, StringConstraints, ValidationError

pytestmark = pytest.mark.backend_independent

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5), SINGLE_LINE]


class Named(BaseModel):
    name: Name
    code: Code | None = None


@pytest.mark.parametrize("name", ["Acme\nGmbH", "Acme\tGmbH", "Acme\r\nGmbH", "Acme\rGmbH"])
def test_a_name_with_a_tab_or_line_break_inside_is_refused(name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Named(name=name)

    assert [(e["type"], e["loc"]) for e in refused.value.errors()] == [("single_line", ("name",))]


def test_surrounding_whitespace_is_stripped_first_and_other_text_passes() -> None:
    named = Named(name="\t Müller & Söhne GmbH\r\n", code=" AB-1\n")

    assert (named.name, named.code) == ("Müller & Söhne GmbH", "AB-1")


def test_the_type_keeps_its_own_constraints_and_messages() -> None:
    with pytest.raises(ValidationError) as refused:
        Named(name="x", code="toolong")

    assert [e["type"] for e in refused.value.errors()] == ["string_too_long"]


def test_the_json_schema_says_one_line() -> None:
    properties = Named.model_json_schema()["properties"]

    assert properties["name"]["pattern"] == SINGLE_LINE_PATTERN == r"^[^\t\n\r]*$"
    assert properties["name"]["maxLength"] == 200
    assert properties["code"]["anyOf"][0]["pattern"] == SINGLE_LINE_PATTERN

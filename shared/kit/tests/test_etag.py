"""Entity tags and the If-Match precondition."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prm_contracts.problem import AppError, PreconditionFailed, Problem, UnprocessableContent
from prm_kit.errors import problems
from prm_kit.etag import (
    IF_MATCH_PATTERN,
    PreconditionRequired,
    check_if_match,
    entity_tag,
    etag_response,
    if_match_satisfied,
    parse_entity_tags,
)


def test_tags_are_the_version_in_quotes() -> None:
    assert entity_tag(3) == '"3"'
    assert entity_tag(3, weak=True) == 'W/"3"'


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ('"3"', [(False, "3")]),
        ('W/"3"', [(True, "3")]),
        (' "1", W/"2" ,"3"', [(False, "1"), (True, "2"), (False, "3")]),
        ("*", []),
        ("3", None),
        ('"3', None),
        ('"3" "4"', None),
        ("", None),
    ],
)
def test_if_match_values_are_parsed_per_rfc_9110(header: str, parsed: list[tuple[bool, str]] | None) -> None:
    assert parse_entity_tags(header) == parsed


@pytest.mark.parametrize(
    ("header", "strong_match", "weak_match"),
    [
        ('"3"', True, True),
        ('"2"', False, False),
        ('"2", "3"', True, True),
        ('W/"3"', False, True),  # If-Match compares strongly unless the service emits weak tags
        ("*", True, True),
        ("garbage", False, False),
    ],
)
def test_if_match_names_the_current_version(header: str, strong_match: bool, weak_match: bool) -> None:
    assert if_match_satisfied(header, 3) is strong_match
    assert if_match_satisfied(header, 3, weak=True) is weak_match


def test_a_stale_if_match_is_412_with_the_current_tag() -> None:
    with pytest.raises(PreconditionFailed) as failed:
        check_if_match('"2"', 3, required=True, resource="partner")

    error = failed.value
    assert error.status == 412
    assert error.slug == "precondition-failed"
    assert error.headers == {"ETag": '"3"'}
    assert error.extensions["current_etag"] == '"3"'
    assert "partner has changed" in str(error.detail)


def test_a_malformed_if_match_is_422_naming_the_current_tag() -> None:
    with pytest.raises(UnprocessableContent) as caught:
        check_if_match("3", 3, required=False)
    assert caught.value.status == 422
    assert caught.value.extensions["current_etag"] == '"3"'
    assert 'such as "3"' in str(caught.value.detail)


def test_a_missing_if_match_is_428_only_where_required() -> None:
    check_if_match(None, 3, required=False)
    with pytest.raises(PreconditionRequired) as required:
        check_if_match(None, 3, required=True)
    assert required.value.status == 428
    assert required.value.type == "/problems/precondition-required"


def test_matching_tags_pass() -> None:
    check_if_match('"3"', 3, required=True)
    check_if_match("*", 3, required=True)


def test_a_428_problem_from_another_service_becomes_the_same_error() -> None:
    problem = Problem(type="/problems/precondition-required", title="Precondition required", status=428)
    assert isinstance(AppError.from_problem(problem), PreconditionRequired)


def test_etag_and_428_are_documented() -> None:
    assert "ETag" in etag_response(200)[200]["headers"]
    assert problems(428)[428]["description"] == "Precondition required"


@given(st.text(alphabet='"W/ ,*ab3\t\n\x0b\x7f\x80\xff', max_size=14))
@settings(max_examples=5000)
def test_the_documented_if_match_pattern_accepts_what_the_parser_accepts(value: str) -> None:
    # the document's pattern (for clients and fuzzers) and the check the API runs must agree
    sent = value.strip(" \t")  # what arrives: HTTP drops the spaces around a field value
    blank = not sent  # taken as no If-Match at all
    assert bool(re.fullmatch(IF_MATCH_PATTERN, sent)) == (blank or parse_entity_tags(value) is not None)


def test_an_empty_if_match_counts_as_none() -> None:
    check_if_match("", 3, required=False)
    with pytest.raises(PreconditionRequired):
        check_if_match(" ", 3, required=True)

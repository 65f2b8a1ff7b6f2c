"""Reading `Accept` by quality (RFC 9110 §12.5.1), without an app."""

from __future__ import annotations

import pytest
from prm_kit.accept import media_ranges, preferred_media_type

pytestmark = pytest.mark.backend_independent

OFFERED = ("text/csv", "text/html", "application/json")
JSON = "application/json"

CASES = {
    "no header": (None, JSON),
    "empty": ("", JSON),
    "only a malformed range": ("csv", JSON),
    "named": ("text/csv", "text/csv"),
    "q=0 is not acceptable": ("text/csv;q=0", None),
    "q=0 of the one named, anything else": ("text/csv;q=0, */*", JSON),
    "the highest quality wins": ("text/csv;q=0.1, application/json", JSON),
    "over a lower one named first": ("application/json, text/html;q=0.5", JSON),
    "by quality, not by order": ("text/csv;q=0.5, text/html;q=0.9", "text/html"),
    "equal quality, both named: the offered order": ("text/html, text/csv", "text/csv"),
    "equal quality, one named, one by wildcard: the named": ("*/*, text/html", "text/html"),
    "anything: the default": ("*/*", JSON),
    "a type wildcard": ("text/*", "text/csv"),
    "the most specific range decides": ("text/*;q=0.9, text/csv;q=0, application/json;q=0.5", "text/html"),
    "case and spaces do not matter": ("  Text/CSV ; Q=0.8 , application/json;q=0.7", "text/csv"),
    "a malformed q leaves the range out": ("text/csv;q=high, application/json;q=0.1", JSON),
    "nothing offered": ("image/png", None),
}


@pytest.mark.parametrize(("accept", "chosen"), CASES.values(), ids=CASES.keys())
def test_the_offered_type_the_client_prefers(accept: str | None, chosen: str | None) -> None:
    assert preferred_media_type(accept, OFFERED, default=JSON) == chosen


def test_parameters_after_q_are_not_read_as_the_media_type_s() -> None:
    (only,) = media_ranges("text/csv;q=0.5;ext=1")
    assert (only.type, only.subtype, only.quality) == ("text", "csv", 0.5)

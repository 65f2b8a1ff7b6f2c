"""When territories overlap and what they cover: the pure rules, without a database."""

from __future__ import annotations

import pytest
from partner_registry.territories.overlap import (
    TerritoryScope,
    covers,
    describe_scope,
    in_conflict,
    overlaps,
    shared_scope,
)


def scope(
    country: str = "DE", region: str | None = None, segment: str | None = None, exclusive: bool = False
) -> TerritoryScope:
    return TerritoryScope(country=country, region=region, segment=segment, exclusive=exclusive)


@pytest.mark.parametrize(
    ("first", "second", "overlapping"),
    [
        (scope(), scope(), True),  # the same country, both country-wide, all segments
        (scope(region="Bavaria"), scope(), True),  # a region lies in its country
        (scope(region="Bavaria"), scope(region=" bavaria "), True),  # regions compare case-folded
        (scope(region="Bavaria"), scope(region="Saxony"), False),
        (scope(segment="smb"), scope(), True),  # one segment lies in all segments
        (scope(segment="smb"), scope(segment="smb"), True),
        (scope(segment="smb"), scope(segment="enterprise"), False),
        (scope(region="Bavaria", segment="smb"), scope(segment="smb"), True),
        (scope(region="Bavaria", segment="smb"), scope(region="Bavaria", segment="enterprise"), False),
        (scope("DE"), scope("AT"), False),
    ],
)
def test_scopes_overlap_in_country_region_and_segment(
    first: TerritoryScope, second: TerritoryScope, overlapping: bool
) -> None:
    assert overlaps(first, second) is overlapping
    assert overlaps(second, first) is overlapping


@pytest.mark.parametrize(
    ("first_exclusive", "second_exclusive", "conflicting"),
    [(True, True, True), (True, False, True), (False, True, True), (False, False, False)],
)
def test_overlapping_territories_conflict_when_either_is_exclusive(
    first_exclusive: bool, second_exclusive: bool, conflicting: bool
) -> None:
    first = scope(region="Bavaria", exclusive=first_exclusive)
    second = scope(exclusive=second_exclusive)

    assert in_conflict(first, second) is conflicting


def test_exclusive_territories_that_do_not_overlap_do_not_conflict() -> None:
    assert not in_conflict(scope(region="Bavaria", exclusive=True), scope(region="Saxony", exclusive=True))


@pytest.mark.parametrize(
    ("territory", "region", "segment", "inside"),
    [
        (scope(), None, None, True),  # a country-wide territory covers every customer in the country
        (scope(), "Bavaria", "smb", True),
        (scope(region="Bavaria"), "BAVARIA", None, True),
        (scope(region="Bavaria"), "Saxony", None, False),
        # a customer whose region is not given is not known to be inside a region
        (scope(region="Bavaria"), None, None, False),
        # an unstated segment might be any: segment territories count
        (scope(segment="enterprise"), None, None, True),
        (scope(segment="enterprise"), None, "enterprise", True),
        (scope(segment="enterprise"), None, "smb", False),
    ],
)
def test_what_a_territory_covers(
    territory: TerritoryScope, region: str | None, segment: str | None, inside: bool
) -> None:
    assert covers(territory, "DE", region, segment) is inside
    assert not covers(territory, "AT", region, segment)


def test_the_shared_scope_is_the_narrower_one() -> None:
    assert shared_scope(scope(region="Bavaria"), scope(segment="smb")) == scope(
        region="Bavaria", segment="smb"
    )
    assert describe_scope(scope(region="Bavaria", segment="smb")) == "DE / Bavaria (segment smb)"
    assert describe_scope(scope()) == "DE"

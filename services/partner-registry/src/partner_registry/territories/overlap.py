"""When territories overlap and what a territory covers: pure rules, no I/O.

A territory's scope is a country, a region of it or the whole country (`region` None), and a customer segment
or all of them (`segment` None). Regions are compared case-folded and single-spaced.

Two territories of different partners conflict when their scopes overlap and at least one of them is
exclusive: an exclusive territory promises that no other partner sells there, so any other partner's
territory inside it breaks the promise, exclusive or not. Scopes overlap when the country is the same, the
regions are equal or one of them is the whole country, and the segments are equal or one of them is all.

A deal's customer lies inside a territory when the country is the same and the territory is country-wide or
its region is the customer's; a customer whose region is not given is inside country-wide territories only
(a country is not inside one of its regions). Segments narrow only when the registration gives one: the
conflict check is about where the customer is, and an unstated segment might be any.
"""

from __future__ import annotations

from dataclasses import dataclass


def region_key(region: str | None) -> str | None:
    return " ".join(region.split()).casefold() if region is not None else None


@dataclass(frozen=True)
class TerritoryScope:
    country: str
    region: str | None = None
    segment: str | None = None
    exclusive: bool = False

    @property
    def region_key(self) -> str | None:
        return region_key(self.region)


def _same_or_either_all(first: str | None, second: str | None) -> bool:
    return first is None or second is None or first == second


def overlaps(first: TerritoryScope, second: TerritoryScope) -> bool:
    """Whether two scopes share a place and a segment (exclusivity aside)."""
    return (
        first.country == second.country
        and _same_or_either_all(first.region_key, second.region_key)
        and _same_or_either_all(first.segment, second.segment)
    )


def in_conflict(first: TerritoryScope, second: TerritoryScope) -> bool:
    """Whether two territories of different partners conflict: they overlap and one is exclusive."""
    return (first.exclusive or second.exclusive) and overlaps(first, second)


def covers(territory: TerritoryScope, country: str, region: str | None, segment: str | None) -> bool:
    """Whether a customer in `country`/`region` (of `segment`, None when unknown) lies inside `territory`."""
    return (
        territory.country == country
        and (territory.region_key is None or territory.region_key == region_key(region))
        and (territory.segment is None or segment is None or territory.segment == segment)
    )


def shared_scope(first: TerritoryScope, second: TerritoryScope) -> TerritoryScope:
    """Where two overlapping scopes overlap: the narrower region and segment."""
    return TerritoryScope(
        country=first.country,
        region=first.region if first.region is not None else second.region,
        segment=first.segment if first.segment is not None else second.segment,
    )


def describe_scope(scope: TerritoryScope) -> str:
    """`DE`, `DE / Bavaria`, `DE / Bavaria (segment enterprise)`."""
    place = scope.country if scope.region is None else f"{scope.country} / {scope.region}"
    return place if scope.segment is None else f"{place} (segment {scope.segment})"

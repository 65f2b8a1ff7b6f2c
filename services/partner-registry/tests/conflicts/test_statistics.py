"""Conflict statistics: counts per month by type and root cause, the exact median time to resolution, open
cases by age. Every expected number below is worked out by hand from the cases the test opens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio
from partner_registry.conflicts.statistics import exact_median_seconds, months, parse_period
from prm_contracts.principal import Principal
from prm_contracts.problem import UnprocessableContent

from ..factories import a_case, a_partner, signed_as
from ..fakes import Clock

# --- the arithmetic on its own -----------------------------------------------------------------------------


def test_the_median_of_an_odd_count_is_the_middle_value() -> None:
    assert exact_median_seconds([timedelta(seconds=s) for s in (30, 10, 20)]) == Decimal(20)


def test_the_median_of_an_even_count_is_the_exact_mean_of_the_middle_two() -> None:
    # (1 µs + 2 µs) / 2 = 1.5 µs = 0.0000015 s: a half microsecond, held exactly
    assert exact_median_seconds([timedelta(microseconds=2), timedelta(microseconds=1)]) == Decimal(
        "0.0000015"
    )
    # (10 + 20) / 2 = 15; 40 and 5 are outside the middle
    assert exact_median_seconds([timedelta(seconds=s) for s in (40, 10, 5, 20)]) == Decimal(15)
    assert exact_median_seconds([]) is None


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_periods_are_quarters_or_months(period: str, first: date, last: date) -> None:
    parsed = parse_period(period, None, None)

    assert (parsed.first_day, parsed.last_day, parsed.label) == (first, last, period)
    assert parsed.start == datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    assert parsed.end == datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def test_months_lists_every_month_the_period_touches() -> None:
    assert months(parse_period(None, date(2025, 11, 15), date(2026, 2, 3))) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("2026-Q5", None, None),
        ("2026-13", None, None),
        ("2026-7", None, None),
        ("Q3-2026", None, None),
        ("2026-Q3", date(2026, 7, 1), None),
        (None, date(2026, 7, 1), None),
        (None, None, date(2026, 7, 1)),
        (None, None, None),
        (None, date(2026, 7, 2), date(2026, 7, 1)),
        (None, date(2020, 1, 1), date(2026, 1, 1)),
    ],
)
def test_malformed_periods_are_refused(period: str | None, first: date | None, last: date | None) -> None:
    with pytest.raises(UnprocessableContent):
        parse_period(period, first, last)


# --- through the API ---------------------------------------------------------------------------------------


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, micro, tzinfo=UTC)


RESOLUTION = {"ruling": "Settled between the parties", "outcome": "settled"}

# name: (type, root causes, reported at, closed at or None), between partners A and B unless marked
CASES: dict[str, tuple[str, list[dict[str, str]], datetime, datetime | None]] = {
    "A": ("vertical", [{"cause": "pricing"}], at(6, 15, 10), None),
    "B": ("horizontal", [{"cause": "territory_overlap"}, {"cause": "pricing"}], at(7, 3, 8), at(7, 5, 8)),
    "C": ("horizontal", [{"cause": "product_overlap"}], at(7, 20, 12), at(7, 25, 18, 30, 0, 1)),
    "D": ("multichannel", [{"cause": "direct_sales_overlap"}], at(8, 10), at(8, 20, 6)),
    "E": (
        "role",
        [{"cause": "role_ambiguity"}, {"cause": "other", "detail": "referral fee"}],
        at(9, 24),
        None,
    ),
    "F": ("vertical", [], at(9, 23), None),
    "G": ("horizontal", [{"cause": "pricing"}], at(8, 31, 1), at(10, 5)),
    "H": ("multichannel", [{"cause": "territory_overlap"}], at(7, 2), None),
    "I": ("vertical", [{"cause": "pricing"}], at(7, 3), None),
    "J": ("horizontal", [], at(10, 2), None),
    "K": ("horizontal", [], at(9, 30, 23, 59, 59), None),
}
ONLY_A_AND_C = {"F", "K"}  # cases between partners A and C instead of A and B


@pytest_asyncio.fixture
async def scenario(client: httpx.AsyncClient, clock: Clock) -> dict[str, Any]:
    """Open (and close) each case of CASES at its moment; then it is 2026-10-10."""
    a, b, c = await a_partner(client), await a_partner(client), await a_partner(client)
    events: list[tuple[datetime, str, str]] = []
    for name, (_, _, reported, closed) in CASES.items():
        events.append((reported, "open", name))
        if closed is not None:
            events.append((closed, "close", name))
    ids: dict[str, str] = {}
    for moment, action, name in sorted(events):
        clock.set(moment)
        conflict_type, causes, _, _ = CASES[name]
        if action == "open":
            other = c if name in ONLY_A_AND_C else b
            ids[name] = (await a_case(client, a, other, conflict_type=conflict_type, root_causes=causes))[
                "id"
            ]
        else:
            closing = await client.post(
                f"/v1/conflict-cases/{ids[name]}/steps", json={"to_stage": "closed", "resolution": RESOLUTION}
            )
            assert closing.status_code == 201, closing.text
    clock.set(at(10, 10))
    return {"a": a, "b": b, "c": c, "ids": ids}


async def _statistics(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/conflict-cases/statistics", params=params)
    assert response.status_code == 200, response.text
    statistics: dict[str, Any] = response.json()
    return statistics


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {key: value for key, value in counts.items() if value}


@pytest.mark.asyncio
async def test_a_quarter_counts_by_month_type_and_root_cause(
    client: httpx.AsyncClient, scenario: Any
) -> None:
    statistics = await _statistics(client, period="2026-Q3")

    assert (statistics["period"], statistics["from_date"], statistics["to_date"]) == (
        "2026-Q3",
        "2026-07-01",
        "2026-09-30",
    )
    # reported in Q3: B C H I (July), D G (August), E F K (September); A is June's, J October's
    assert statistics["reported"] == 9
    july, august, september = statistics["months"]
    assert [m["month"] for m in statistics["months"]] == ["2026-07", "2026-08", "2026-09"]
    assert (july["reported"], august["reported"], september["reported"]) == (4, 2, 3)
    assert july["by_type"] == {"vertical": 1, "horizontal": 2, "multichannel": 1, "role": 0}
    assert _nonzero(july["by_root_cause"]) == {"pricing": 2, "territory_overlap": 2, "product_overlap": 1}
    assert _nonzero(august["by_root_cause"]) == {"direct_sales_overlap": 1, "pricing": 1}
    assert _nonzero(september["by_root_cause"]) == {"role_ambiguity": 1, "other": 1}
    assert september["by_root_cause"]["incentive_misalignment"] == 0
    assert statistics["by_type"] == {"vertical": 2, "horizontal": 4, "multichannel": 2, "role": 1}
    assert _nonzero(statistics["by_root_cause"]) == {
        "pricing": 3,
        "territory_overlap": 2,
        "product_overlap": 1,
        "direct_sales_overlap": 1,
        "role_ambiguity": 1,
        "other": 1,
    }


@pytest.mark.asyncio
async def test_the_median_time_to_resolution_is_exact(client: httpx.AsyncClient, scenario: Any) -> None:
    # closed within Q3: B 2 d = 172800 s; C 5 d 6 h 30 min + 1 µs = 455400.000001 s; D 10 d 6 h = 885600 s.
    # G closes in October: not in Q3. Odd count: the middle one.
    quarter = await _statistics(client, period="2026-Q3")
    assert quarter["time_to_resolution"] == {"resolved": 3, "median_seconds": "455400.000001"}

    # closed within July: B and C. Even count: (172800 + 455400.000001) / 2 = 314100.0000005
    july = await _statistics(client, period="2026-07")
    assert july["time_to_resolution"] == {"resolved": 2, "median_seconds": "314100.0000005"}

    september = await _statistics(client, period="2026-09")
    assert september["time_to_resolution"] == {"resolved": 0, "median_seconds": None}


@pytest.mark.asyncio
async def test_open_cases_are_bucketed_by_age_at_the_end_of_the_period(
    client: httpx.AsyncClient, scenario: Any
) -> None:
    # as of 2026-10-01T00:00 (Q3's end; it is 2026-10-10 now). Open then: A 107 d (Jun 15 10:00), H 91 d
    # (Jul 2), I 90 d (Jul 3), G 30 d 23 h (Aug 31 01:00; closed only on Oct 5), F 8 d (Sep 23), E 7 d
    # (Sep 24), K 1 s. B, C, D were closed before; J was reported after.
    quarter = await _statistics(client, period="2026-Q3")
    assert quarter["open_by_age"] == {
        "as_of": "2026-10-01T00:00:00Z",
        "days_0_7": 2,  # E, K
        "days_8_30": 2,  # F, G
        "days_31_90": 1,  # I
        "days_over_90": 2,  # A, H
    }

    # as of 2026-08-01: A 46 d 14 h, H 30 d, I 29 d; B and C closed in July, the others not yet reported
    july = await _statistics(client, period="2026-07")
    assert july["open_by_age"] == {
        "as_of": "2026-08-01T00:00:00Z",
        "days_0_7": 0,
        "days_8_30": 2,
        "days_31_90": 1,
        "days_over_90": 0,
    }


@pytest.mark.asyncio
async def test_a_period_still_running_is_taken_as_of_now(
    client: httpx.AsyncClient, scenario: Any, clock: Clock
) -> None:
    # now 2026-10-10: open are A 116 d, H 100 d, I 99 d, F 17 d, E 16 d, K 9 d, J 8 d; G closed Oct 5
    statistics = await _statistics(client, period="2026-Q4")

    assert statistics["open_by_age"] == {
        "as_of": "2026-10-10T00:00:00Z",
        "days_0_7": 0,
        "days_8_30": 4,
        "days_31_90": 0,
        "days_over_90": 3,
    }
    assert statistics["reported"] == 1
    assert statistics["time_to_resolution"]["resolved"] == 1


@pytest.mark.asyncio
async def test_from_and_to_name_the_same_period_as_a_month(client: httpx.AsyncClient, scenario: Any) -> None:
    by_month = await _statistics(client, period="2026-08")
    by_dates = await _statistics(client, **{"from": "2026-08-01", "to": "2026-08-31"})

    assert by_dates == {**by_month, "period": None}


@pytest.mark.asyncio
async def test_a_partner_counts_only_the_cases_it_is_a_party_to(
    client: httpx.AsyncClient, scenario: Any
) -> None:
    partner_c = scenario["c"]
    own = Principal(subject="key:partner-c", scopes=frozenset({"conflicts:read"}), partner_id=partner_c["id"])

    response = await client.get(
        "/v1/conflict-cases/statistics", params={"period": "2026-Q3"}, headers=signed_as(own)
    )

    assert response.status_code == 200
    statistics = response.json()
    # C is party to F (vertical, Sep 23) and K (horizontal, Sep 30), both open at Q3's end
    assert statistics["reported"] == 2
    assert _nonzero(statistics["by_type"]) == {"vertical": 1, "horizontal": 1}
    assert statistics["open_by_age"]["days_0_7"] == 1
    assert statistics["open_by_age"]["days_8_30"] == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"period": "2026-Q7"},
        {"period": "2026-Q3", "from": "2026-07-01"},
        {"from": "2026-07-01"},
        {"from": "2026/07/01", "to": "2026-07-31"},
        {"from": "2026-09-01", "to": "2026-08-01"},
        {"from": "2026-02-30", "to": "2026-03-01"},
    ],
)
async def test_malformed_periods_are_422(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await client.get("/v1/conflict-cases/statistics", params=params)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][0] == "query"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("params", "field", "detail"),
    [
        # the observed 500: the month after 9999-12 is in year 10000; dates sent are refused as every date
        # outside the years 1900-9998 is (prm_contracts.dates), periods here
        (
            {"from": "2000-01-01", "to": "9999-12-31"},
            "to",
            "query.to: must be a date in the years 1900 to 9998",
        ),
        ({"from": "9999-12-01", "to": "9999-12-31"}, "from", "query.from: must be a date in the years 1900"),
        ({"from": "2000-01-01", "to": "9998-12-31"}, "to", "to: a period may span at most 60 months"),
        ({"from": "0001-01-01", "to": "0001-01-31"}, "from", "query.from: must be a date in the years 1900"),
        ({"period": "9999-Q4"}, "period", "period: the year must be between 1900 and 9998"),
        ({"period": "9999-12"}, "period", "period: the year must be between 1900 and 9998"),
        ({"period": "0000-01"}, "period", "period: the year must be between 1900 and 9998"),
    ],
)
async def test_periods_beyond_what_dates_can_hold_are_422_not_500(
    client: httpx.AsyncClient, params: dict[str, str], field: str, detail: str
) -> None:
    response = await client.get("/v1/conflict-cases/statistics", params=params)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith(detail)
    assert response.json()["errors"][0]["loc"] == ["query", field]


def test_a_period_may_span_sixty_months_and_reach_the_last_supported_day() -> None:
    # 2021-01 .. 2025-12 is 5 x 12 = 60 months; one day more touches a 61st
    assert len(months(parse_period(None, date(2021, 1, 1), date(2025, 12, 31)))) == 60
    with pytest.raises(UnprocessableContent):
        parse_period(None, date(2021, 1, 1), date(2026, 1, 1))
    last = parse_period("9998-Q4", None, None)
    assert last.end == datetime(9999, 1, 1, tzinfo=UTC)
    assert months(last) == ["9998-10", "9998-11", "9998-12"]
    first = parse_period("1900-01", None, None)
    assert first.start == datetime(1900, 1, 1, tzinfo=UTC)


@pytest.mark.asyncio
async def test_an_empty_period_has_zeros_for_every_month(client: httpx.AsyncClient, clock: Clock) -> None:
    clock.set(at(12, 1))

    statistics = await _statistics(client, period="2026-Q1")

    assert statistics["reported"] == 0
    assert [m["month"] for m in statistics["months"]] == ["2026-01", "2026-02", "2026-03"]
    assert all(sum(m["by_type"].values()) == 0 for m in statistics["months"])
    assert statistics["time_to_resolution"] == {"resolved": 0, "median_seconds": None}

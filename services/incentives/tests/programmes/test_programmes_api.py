"""Programmes through the API: draft → published (immutable), new versions with their own dates, and every
bad term refused with a problem that says what to send, nothing stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from incentives.programmes.models import Programme, ProgrammeVersion
from sqlalchemy.ext.asyncio import AsyncSession

from ..calculation_runs.helpers import a_programme, programme_body, rebate, terms

pytestmark = pytest.mark.asyncio


async def _stored(db: AsyncSession) -> tuple[int, int]:
    programmes = await db.scalar(sa.select(sa.func.count()).select_from(Programme))
    versions = await db.scalar(sa.select(sa.func.count()).select_from(ProgrammeVersion))
    return programmes or 0, versions or 0


def _volume_bonus(*bands: dict[str, Any], mode: str = "marginal") -> dict[str, Any]:
    return {"kind": "volume_bonus", "mode": mode, "bands": list(bands)}


async def test_a_programme_is_created_as_a_draft_and_published(client: httpx.AsyncClient) -> None:
    body = programme_body(
        rebate("0.02"),
        _volume_bonus({"from": "0", "to": "1000.00", "rate": "0.01"}, {"from": "1000.00", "rate": "0.02"}),
    )

    created = await client.post("/v1/programmes", json=body)
    published = await client.post(f"/v1/programmes/{created.json()['programme_id']}/versions/1/publish")

    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    assert created.json()["status"] == "draft"
    assert created.json()["rules"][1]["bands"][1] == {"from": "1000.00", "to": None, "rate": "0.02"}
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["published_by"] == "key:test-admin"


async def test_a_published_version_cannot_change(client: httpx.AsyncClient, db: AsyncSession) -> None:
    version = await a_programme(client)
    path = f"/v1/programmes/{version['programme_id']}/versions/1"

    response = await client.put(
        path, json=terms(rebate("0.05")), headers={"If-Match": f'"{version["version"]}"'}
    )

    assert response.status_code == 409
    assert response.json()["type"].endswith("/problems/programme-version-published")
    assert (await client.get(path)).json()["rules"] == [{"kind": "rebate", "rate": "0.02", "label": None}]


async def test_a_draft_is_replaced_whole_with_if_match(client: httpx.AsyncClient) -> None:
    draft = await a_programme(client, publish=False)
    path = f"/v1/programmes/{draft['programme_id']}/versions/1"

    without = await client.put(path, json=terms(rebate("0.05")))
    replaced = await client.put(path, json=terms(rebate("0.05")), headers={"If-Match": '"1"'})

    assert without.status_code == 428
    assert replaced.status_code == 200
    assert replaced.json()["rules"][0]["rate"] == "0.05"
    assert replaced.headers["etag"] == '"2"'


async def test_a_new_version_with_overlapping_dates_is_not_published(client: httpx.AsyncClient) -> None:
    first = await a_programme(client, effective_to="2026-06-30")
    versions = f"/v1/programmes/{first['programme_id']}/versions"
    overlapping = await client.post(versions, json=terms(rebate("0.03"), effective_from="2026-04-01"))
    following = await client.post(versions, json=terms(rebate("0.03"), effective_from="2026-07-01"))

    refused = await client.post(f"{versions}/2/publish")
    accepted = await client.post(f"{versions}/3/publish")

    assert overlapping.json()["number"] == 2
    assert following.json()["number"] == 3
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/problems/programme-versions-overlap")
    assert refused.json()["overlapping_versions"] == [1]
    assert (await client.get(f"{versions}/2")).json()["status"] == "draft"
    assert accepted.status_code == 200


async def test_a_version_starts_and_ends_on_the_programmes_period_boundaries(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """One run computes one period with one version: a version changing mid-quarter would leave the sales of
    one part of that quarter unpayable."""
    first = await a_programme(client, effective_to="2026-03-31")  # quarterly
    versions = f"/v1/programmes/{first['programme_id']}/versions"
    before = await db.scalar(sa.select(sa.func.count()).select_from(ProgrammeVersion))

    mid_quarter = await client.post(
        versions, json=terms(rebate("0.03"), effective_from="2026-05-15", effective_to="2026-11-30")
    )
    new_programme = await client.post(
        "/v1/programmes", json=programme_body(rebate("0.02"), period_type="year", effective_from="2026-04-01")
    )
    on_bounds = await client.post(
        versions, json=terms(rebate("0.03"), effective_from="2026-04-01", effective_to="2026-12-31")
    )
    open_ended_month = await client.post(
        "/v1/programmes",
        json=programme_body(rebate("0.02"), period_type="month", effective_from="2026-02-01"),
    )
    far_end = await client.post(
        versions, json=terms(rebate("0.03"), effective_from="2027-01-01", effective_to="9998-12-31")
    )

    assert mid_quarter.status_code == 422, mid_quarter.text
    problem = mid_quarter.json()
    assert problem["type"].endswith("/problems/programme-version-off-periods")
    assert [error["loc"] for error in problem["errors"]] == [
        ["body", "effective_from"],
        ["body", "effective_to"],
    ]
    assert "2026-05-15 is inside 2026-Q2; a quarter starts on 2026-04-01" in problem["detail"]
    assert "2026-11-30 is inside 2026-Q4, which ends on 2026-12-31" in problem["detail"]
    assert new_programme.status_code == 422, new_programme.text
    assert new_programme.json()["errors"][0]["loc"] == ["body", "version", "effective_from"]
    assert on_bounds.status_code == 201, on_bounds.text
    assert open_ended_month.status_code == 201, open_ended_month.text
    assert far_end.status_code == 201, far_end.text
    # the three accepted, nothing of the two refused
    assert await db.scalar(sa.select(sa.func.count()).select_from(ProgrammeVersion)) == before + 3


async def test_publishing_twice_is_a_conflict(client: httpx.AsyncClient) -> None:
    version = await a_programme(client)

    response = await client.post(f"/v1/programmes/{version['programme_id']}/versions/1/publish")

    assert response.status_code == 409


BAD_RULES = {
    "overlapping bands": (
        _volume_bonus({"from": "0", "to": "1000", "rate": "0.01"}, {"from": "900", "rate": "0.02"}),
        "bands_overlap",
    ),
    "an open band before the last": (
        _volume_bonus({"from": "0", "rate": "0.01"}, {"from": "1000", "rate": "0.02"}),
        "band_unbounded_before_last",
    ),
    "a gap between bands": (
        _volume_bonus({"from": "0", "to": "1000", "rate": "0.01"}, {"from": "1500", "rate": "0.02"}),
        "bands_gap",
    ),
    "a negative rate": (rebate("-0.01"), "rate_negative"),
    "a rate as a JSON number": ({"kind": "rebate", "rate": 0.02}, "rate_type"),
    "a rate above 1": (rebate("1.5"), "rate_too_large"),
    # the document's pattern ^[0-9](\.[0-9]{1,8})?$: these were stored and echoed, breaking the response schema
    "a negative zero rate": (rebate("-0"), "rate_negative"),
    "a rate with more than 8 places, zeros or not": (
        {"kind": "mdf_accrual", "rate": "0.0300000000"},
        "rate_places",
    ),
    "a rate with a leading zero": (rebate("00.5"), "rate_places"),
    "a volume bonus without its mode": (
        {"kind": "volume_bonus", "bands": [{"from": "0", "rate": "0.01"}]},
        "missing",
    ),
    "a band bound as a JSON number": (
        _volume_bonus({"from": 0, "rate": "0.01"}),
        "value_error",
    ),
    "an unknown rule kind": ({"kind": "lottery", "rate": "0.5"}, "union_tag_invalid"),
}


@pytest.mark.parametrize(("rule", "error"), BAD_RULES.values(), ids=BAD_RULES.keys())
async def test_bad_terms_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, rule: dict[str, Any], error: str
) -> None:
    before = await _stored(db)

    response = await client.post("/v1/programmes", json=programme_body(rule))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert error in {e["type"] for e in response.json()["errors"]}, response.json()["errors"]
    assert await _stored(db) == before


@pytest.mark.parametrize(
    "dates",
    [
        {"effective_from": "2026-01-01", "effective_to": "9999-12-31"},  # an "open end" the ERP way
        {"effective_from": "0001-01-01"},
    ],
)
async def test_dates_past_the_years_1900_to_9998_are_refused_not_a_later_500(
    client: httpx.AsyncClient, db: AsyncSession, dates: dict[str, str]
) -> None:
    # published, such a version made every calculation run of its programme a 500 (effective_to + 1 day)
    before = await _stored(db)

    response = await client.post("/v1/programmes", json=programme_body(rebate("0.02"), **dates))

    assert response.status_code == 422, response.text
    assert [error["type"] for error in response.json()["errors"]] == ["date_out_of_range"]
    assert "null" in response.json()["detail"]
    assert await _stored(db) == before


async def test_two_caps_and_a_floor_above_the_cap_are_refused(client: httpx.AsyncClient) -> None:
    two_caps = programme_body(
        rebate("0.02"), {"kind": "cap", "amount": "10"}, {"kind": "cap", "amount": "20"}
    )
    floor_above = programme_body(
        rebate("0.02"), {"kind": "cap", "amount": "10"}, {"kind": "floor", "amount": "20"}
    )

    assert (await client.post("/v1/programmes", json=two_caps)).status_code == 422
    assert (await client.post("/v1/programmes", json=floor_above)).status_code == 422


async def test_a_taken_name_is_a_conflict(client: httpx.AsyncClient) -> None:
    body = programme_body()
    assert (await client.post("/v1/programmes", json=body)).status_code == 201

    response = await client.post("/v1/programmes", json=body)

    assert response.status_code == 409
    assert response.json()["type"].endswith("/problems/programme-name-taken")


async def test_programmes_are_listed_by_name_with_their_latest_version(client: httpx.AsyncClient) -> None:
    version = await a_programme(client)
    await client.post(
        f"/v1/programmes/{version['programme_id']}/versions", json=terms(effective_from="2027-01-01")
    )

    listed = await client.get("/v1/programmes", params={"limit": 100})

    mine = [p for p in listed.json()["items"] if p["id"] == version["programme_id"]]
    assert mine[0]["latest_version"] == 2
    assert mine[0]["name"] == version["programme_name"]


def _spiff(amount: str) -> dict[str, Any]:
    return {
        "kind": "spiff",
        "skus": ["SKU-1"],
        "amount": amount,
        "per": "unit",
        "window": {"from": "2026-01-01", "to": "2026-12-31"},
    }


FINER_THAN_THE_MINOR_UNIT = {
    "a JPY floor of 0.5": (
        "JPY",
        [rebate("0.01"), {"kind": "floor", "amount": "0.5"}],
        [["rules", 1, "amount"]],
    ),
    "a JPY SPIFF of 10.5": ("JPY", [_spiff("10.5")], [["rules", 0, "amount"]]),
    "a KWD budget of 100.0005": (
        "KWD",
        [rebate("0.01"), {"kind": "budget", "amount": "100.0005"}],
        [["rules", 1, "amount"]],
    ),
    "an EUR cap of 15.005": (
        "EUR",
        [rebate("0.01"), {"kind": "cap", "amount": "15.005"}],
        [["rules", 1, "amount"]],
    ),
    "an EUR band bound of 1000.005": (
        "EUR",
        [
            _volume_bonus(
                {"from": "0", "to": "1000.005", "rate": "0.01"}, {"from": "1000.005", "rate": "0.02"}
            )
        ],
        [["rules", 0, "bands", 0, "to"], ["rules", 0, "bands", 1, "from"]],
    ),
}


@pytest.mark.parametrize(
    ("currency", "rules", "locs"), FINER_THAN_THE_MINOR_UNIT.values(), ids=FINER_THAN_THE_MINOR_UNIT.keys()
)
async def test_an_amount_finer_than_the_currency_minor_unit_is_refused_in_every_version(
    client: httpx.AsyncClient,
    db: AsyncSession,
    currency: str,
    rules: list[dict[str, Any]],
    locs: list[list[Any]],
) -> None:
    # a JPY floor of 0.5 paid 0, a budget of 100.5 JPY could not be split to sum to itself: payouts are whole
    # minor units, so the terms' amounts are too, as adjustments' and MDF's are
    draft = await a_programme(client, rebate("0.01"), currency=currency, publish=False)
    programme = draft["programme_id"]
    before = await _stored(db)

    created = await client.post("/v1/programmes", json=programme_body(*rules, currency=currency))
    added = await client.post(f"/v1/programmes/{programme}/versions", json=terms(*rules))
    replaced = await client.put(
        f"/v1/programmes/{programme}/versions/1", json=terms(*rules), headers={"If-Match": '"1"'}
    )

    for refused, prefix in ((created, ["body", "version"]), (added, ["body"]), (replaced, ["body"])):
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/programme-amount-precision")
        errors = [(e["loc"], e["type"]) for e in refused.json()["errors"]]
        assert errors == [([*prefix, *loc], "amount_places") for loc in locs]
    assert await _stored(db) == before
    unchanged = await client.get(f"/v1/programmes/{programme}/versions/1")
    assert unchanged.json()["rules"] == draft["rules"]


async def test_amounts_in_whole_minor_units_are_taken(client: httpx.AsyncClient) -> None:
    # JPY has no minor unit below 1, KWD's is 0.001
    yen = programme_body(rebate("0.01"), {"kind": "floor", "amount": "5"}, _spiff("10"), currency="JPY")
    dinar = programme_body(rebate("0.01"), {"kind": "budget", "amount": "100.005"}, currency="KWD")

    assert (await client.post("/v1/programmes", json=yen)).status_code == 201
    assert (await client.post("/v1/programmes", json=dinar)).status_code == 201

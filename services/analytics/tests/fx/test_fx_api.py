"""Loading FX rates by JSON and CSV (all or nothing), listing them, and the rate a conversion uses."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from analytics.fx.models import FxRate
from sqlalchemy.ext.asyncio import AsyncSession

from ..partners.callers import ANALYST, SERVICE, partner_key, problem_type, signed_as, stored_counts

pytestmark = pytest.mark.asyncio


def rate(day: str, value: str = "1.0842", base: str = "EUR", quote: str = "USD") -> dict[str, Any]:
    return {"base": base, "quote": quote, "rate": value, "effective_on": day}


def july(*days: int, value: str = "1.0842") -> list[dict[str, Any]]:
    return [rate(f"2026-07-{day:02d}", value) for day in days]


async def load(client: httpx.AsyncClient, rates: list[dict[str, Any]], **options: Any) -> httpx.Response:
    return await client.post("/v1/fx-rates", json={"rates": rates, **options})


async def upload(client: httpx.AsyncClient, text: str, query: str = "", **headers: str) -> httpx.Response:
    return await client.post(
        f"/v1/fx-rates/imports{query}", content=text.encode(), headers={"content-type": "text/csv", **headers}
    )


async def stored(db: AsyncSession) -> list[tuple[str, str, str, str, int]]:
    rows = await db.execute(
        sa.select(FxRate.base, FxRate.quote, FxRate.effective_on, FxRate.rate, FxRate.version).order_by(
            FxRate.base, FxRate.quote, FxRate.effective_on
        )
    )
    return [(b, q, d.isoformat(), format(r, "f"), v) for b, q, d, r, v in rows]


async def test_a_batch_is_stored_and_loading_it_again_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await load(client, july(1, 2, 3))
    again = await load(client, july(1, 2, 3))

    assert first.status_code == 200, first.text
    assert first.json() == {"created": 3, "unchanged": 0, "corrected": 0}
    assert again.json() == {"created": 0, "unchanged": 3, "corrected": 0}
    assert await stored(db) == [("EUR", "USD", f"2026-07-0{day}", "1.0842000000", 1) for day in (1, 2, 3)]


async def test_the_same_rate_written_differently_is_the_same_rate(client: httpx.AsyncClient) -> None:
    await load(client, july(1, value="1.1"))

    again = await load(client, july(1, value="1.1000"))

    assert again.json()["unchanged"] == 1


async def test_a_different_rate_is_refused_with_409_unless_corrected(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await load(client, july(1, 2))

    refused = await load(client, [*july(1), rate("2026-07-02", "1.0900"), *july(3)])
    corrected = await load(client, [*july(1), rate("2026-07-02", "1.0900")], corrections=True)

    assert refused.status_code == 409
    assert problem_type(refused) == "fx-rate-conflict"
    assert refused.json()["errors"][0]["loc"] == ["body", "rates", 1, "rate"]
    assert corrected.json() == {"created": 0, "unchanged": 1, "corrected": 1}
    assert await stored(db) == [
        ("EUR", "USD", "2026-07-01", "1.0842000000", 1),
        ("EUR", "USD", "2026-07-02", "1.0900000000", 2),
    ]


@pytest.mark.parametrize(
    ("rates", "loc", "words"),
    [
        (july(1, 1), ["body", "rates", 1, "effective_on"], "already given at rates[0]"),
        (july(1, 2, 4), ["body", "rates", 2, "effective_on"], "gap"),
        ([rate("2026-07-01", "0")], ["body", "rates", 0, "rate"], "greater than 0"),
        ([rate("2026-07-01", "-1.2")], ["body", "rates", 0, "rate"], "plain decimal"),
        ([rate("2026-07-01", "abc")], ["body", "rates", 0, "rate"], "plain decimal"),
        ([rate("2026-07-01", 1.0842)], ["body", "rates", 0, "rate"], "not a JSON number"),  # type: ignore[arg-type]
        ([rate("2026-07-01", base="EUX")], ["body", "rates", 0, "base"], "ISO 4217"),
        ([rate("2026-07-01", quote="EUR")], ["body", "rates", 0], "different currencies"),
        ([rate("2026-07-32")], ["body", "rates", 0, "effective_on"], "not a calendar date"),
    ],
)
async def test_a_bad_batch_is_refused_whole_with_the_place_of_each_problem(
    client: httpx.AsyncClient, db: AsyncSession, rates: list[dict[str, Any]], loc: list[Any], words: str
) -> None:
    before = await stored_counts(db)

    response = await load(client, rates)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == loc
    assert words in response.json()["detail"]
    assert await stored_counts(db) == before


async def test_a_monthly_batch_needs_every_first_day(client: httpx.AsyncClient) -> None:
    good = await load(client, [rate("2026-01-01"), rate("2026-02-01")], frequency="monthly")
    gap = await load(client, [rate("2026-03-01"), rate("2026-05-01")], frequency="monthly")

    assert good.status_code == 200
    assert gap.status_code == 422
    assert gap.json()["errors"][0]["type"] == "fx_gap"


async def test_a_csv_upload_is_stored_and_reported(client: httpx.AsyncClient, db: AsyncSession) -> None:
    text = "base,quote,rate,effective_on\nEUR,USD,1.0842,2026-07-01\r\nEUR,USD,1.0851,2026-07-02\nEUR,GBP,0.85,2026-07-01\n"

    response = await upload(client, text)

    assert response.status_code == 200, response.text
    assert response.json() == {"created": 3, "unchanged": 0, "corrected": 0}
    assert ("EUR", "USD", "2026-07-02", "1.0851000000", 1) in await stored(db)


async def test_a_bad_csv_is_refused_whole_with_every_bad_line(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    text = (
        "effective_on,base,quote,rate\n"  # columns in any order; the header is line 1
        "2026-07-01,EUR,USD,1.0842\n"
        "2026-07-02,EUR,USD,-3\n"
        "2026-07-03,EUR,XXX,1.0800\n"
        "2026-07-04,EUR,USD,1.0800\n"
    )
    before = await stored_counts(db)

    response = await upload(client, text)

    assert response.status_code == 422
    assert [issue["loc"] for issue in response.json()["errors"]] == [
        ["body", 3, "rate"],
        ["body", 4, "quote"],
    ]
    assert response.json()["problem_count"] == 2
    assert await stored_counts(db) == before


async def test_a_csv_with_a_gap_names_the_line_after_it(client: httpx.AsyncClient, db: AsyncSession) -> None:
    text = "base,quote,rate,effective_on\nEUR,USD,1.08,2026-07-01\nEUR,USD,1.08,2026-07-03\n"

    response = await upload(client, text)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", 3, "effective_on"]
    assert "line 3" in response.json()["errors"][0]["msg"]
    assert await stored(db) == []


async def test_a_csv_duplicate_date_names_both_lines(client: httpx.AsyncClient) -> None:
    text = "base,quote,rate,effective_on\nEUR,USD,1.08,2026-07-01\nEUR,USD,1.09,2026-07-01\n"

    response = await upload(client, text)

    assert response.status_code == 422
    assert response.json()["errors"][0]["msg"].startswith(
        "line 3: EUR/USD on 2026-07-01 is already given at line 2"
    )


async def test_a_csv_upload_must_say_it_is_csv(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/fx-rates/imports", json={"rates": []})

    assert response.status_code == 415
    assert problem_type(response) == "unsupported-media-type"


async def test_a_csv_correction_needs_the_corrections_flag(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await upload(client, "base,quote,rate,effective_on\nEUR,USD,1.08,2026-07-01\n")
    changed = "base,quote,rate,effective_on\nEUR,USD,1.07,2026-07-01\n"

    refused = await upload(client, changed)
    corrected = await upload(client, changed, "?corrections=true")

    assert refused.status_code == 409
    assert refused.json()["errors"][0]["loc"] == ["body", 2, "rate"]
    assert corrected.json()["corrected"] == 1
    assert await stored(db) == [("EUR", "USD", "2026-07-01", "1.0700000000", 2)]


async def test_the_lookup_names_the_rate_and_its_date_direct_or_inverse(client: httpx.AsyncClient) -> None:
    await load(client, july(1, 2))

    direct = await client.get(
        "/v1/fx-rates/lookup", params={"base": "EUR", "quote": "USD", "on": "2026-07-20"}
    )
    inverse = await client.get(
        "/v1/fx-rates/lookup", params={"base": "USD", "quote": "EUR", "on": "2026-07-01"}
    )

    assert direct.json() == {
        "base": "EUR",
        "quote": "USD",
        "on": "2026-07-20",
        "rate": "1.0842000000",
        "effective_on": "2026-07-02",
        "inverted": False,
        "stored_rate": "1.0842000000",
    }
    # 1 / 1.0842 = 0.92233905183545…
    assert (inverse.json()["rate"], inverse.json()["inverted"]) == ("0.9223390518", True)


async def test_a_missing_rate_is_a_404_never_a_guess(client: httpx.AsyncClient) -> None:
    await load(client, july(5))

    before_first = await client.get(
        "/v1/fx-rates/lookup", params={"base": "EUR", "quote": "USD", "on": "2026-07-04"}
    )
    no_pair = await client.get(
        "/v1/fx-rates/lookup", params={"base": "USD", "quote": "JPY", "on": "2026-07-05"}
    )

    assert before_first.status_code == 404
    assert problem_type(before_first) == "fx-rate-missing"
    assert no_pair.status_code == 404
    assert "neither USD/JPY nor JPY/USD" in no_pair.json()["detail"]


async def test_the_list_filters_and_pages(client: httpx.AsyncClient) -> None:
    await load(client, [*july(1, 2, 3), rate("2026-07-01", "0.85", quote="GBP")])

    first = await client.get("/v1/fx-rates", params={"quote": "USD", "from": "2026-07-01", "limit": 2})
    second = await client.get(
        "/v1/fx-rates", params={"quote": "USD", "limit": 2, "cursor": first.json()["next_cursor"]}
    )

    assert [item["effective_on"] for item in first.json()["items"]] == ["2026-07-01", "2026-07-02"]
    assert [item["effective_on"] for item in second.json()["items"]] == ["2026-07-03"]
    assert second.json()["next_cursor"] is None


async def test_other_services_read_rates_on_the_internal_endpoints(client: httpx.AsyncClient) -> None:
    await load(client, july(1, 2, 3, 4))
    headers = signed_as(SERVICE)

    lookup = await client.get(
        "/internal/fx-rates/lookup",
        params={"base": "EUR", "quote": "USD", "on": "2026-07-03"},
        headers=headers,
    )
    span = await client.get(
        "/internal/fx-rates",
        params={"base": "EUR", "quote": "USD", "from": "2026-07-02", "to": "2026-07-03"},
        headers=headers,
    )
    partner = await client.get(
        "/internal/fx-rates/lookup",
        params={"base": "EUR", "quote": "USD", "on": "2026-07-03"},
        headers=signed_as(partner_key(uuid.uuid4(), "internal")),
    )

    assert lookup.json()["effective_on"] == "2026-07-03"
    assert [item["effective_on"] for item in span.json()] == ["2026-07-02", "2026-07-03"]
    assert partner.status_code == 403


async def test_any_reader_reads_rates_but_only_the_vendor_loads_them(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await load(client, july(1))
    partner = partner_key(uuid.uuid4())
    before = await stored_counts(db)

    read_by_partner = await client.get("/v1/fx-rates", headers=signed_as(partner))
    read_by_analyst = await client.get("/v1/fx-rates", headers=signed_as(ANALYST))
    loaded_by_partner = await client.post("/v1/fx-rates", json={"rates": july(2)}, headers=signed_as(partner))
    uploaded_by_partner = await upload(client, "base,quote,rate,effective_on\n", **signed_as(partner))
    loaded_by_analyst = await client.post("/v1/fx-rates", json={"rates": july(2)}, headers=signed_as(ANALYST))

    assert (read_by_partner.status_code, read_by_analyst.status_code) == (200, 200)
    assert (
        loaded_by_partner.status_code,
        uploaded_by_partner.status_code,
        loaded_by_analyst.status_code,
    ) == (
        403,
        403,
        403,
    )
    assert await stored_counts(db) == before


async def test_the_documented_example_loads_as_it_stands(
    client: httpx.AsyncClient, db: AsyncSession, merged_openapi: Callable[[], dict[str, Any]]
) -> None:
    # as the merged document shows it (composed from FxRateIn's example, which once paired EUR with EUR)
    example = merged_openapi()["components"]["schemas"]["FxRatesIn"]["examples"][0]

    response = await client.post("/v1/fx-rates", json=example)

    assert response.status_code == 200, response.text
    assert len(await stored(db)) == len(example["rates"])

"""Statements as JSON, CSV and printable HTML: lines with rules and rates, held lines, totals; a partner's
credential gets its own (approved runs) only. Payables as CSV for finance."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import httpx
import pytest
from incentives.replica.models import SalesLine
from prm_kit.testing import internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

from ..calculation_runs.helpers import a_line, a_partner, a_programme, a_run, partner_user, rebate

pytestmark = pytest.mark.asyncio


async def test_a_statement_in_json_csv_and_html_with_held_lines_and_totals(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna, ben = await a_partner(db), await a_partner(db)
    await a_line(db, anna, "1000.00", on=date(2026, 2, 10))
    await a_line(db, anna, "250.00", on=date(2026, 3, 1), flag_status="open")
    await a_line(db, ben, "10.00")
    programme = await a_programme(client, rebate("0.04"))
    run = await a_run(client, programme)
    own = internal_headers(partner_user(anna))
    draft_view = await client.get(f"/v1/statements/{anna}/2026-Q1", headers=own)
    assert draft_view.status_code == 404  # a draft is not final for the partner
    assert (await client.post(f"/v1/calculation-runs/{run['id']}/approval")).status_code == 200
    assert (await client.post(f"/v1/calculation-runs/{run['id']}/payment")).status_code == 200

    answer = await client.get(f"/v1/statements/{anna}/2026-Q1", headers=own)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    # 1,000 * 4 % = 40.00; the flagged 250.00 is held, not paid
    assert body["totals"] == [{"amount": "40.00", "currency": "EUR"}]
    section = body["programmes"][0]
    assert (section["payout_status"], section["held_lines"]) == ("paid", 1)
    held = [line for line in section["lines"] if line["held"]]
    assert [line["held"] for line in held] == ["flagged"]
    assert Decimal(held[0]["payout"]) == 0
    assert sum(Decimal(line["payout"]) for line in section["lines"]) == Decimal("40")
    paid_line = next(line for line in section["lines"] if not line["held"])
    assert [(c["kind"], c["rate"], c["amount"]) for c in paid_line["contributions"]] == [
        ("rebate", "0.04", "40.00")
    ]

    as_csv = await client.get(f"/v1/statements/{anna}/2026-Q1.csv", headers=own)
    by_accept = await client.get(f"/v1/statements/{anna}/2026-Q1", headers=own | {"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text == by_accept.text
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["amount"] for r in rows if r["row"] == "total"] == ["40.00"]
    assert {r["held"] for r in rows if r["row"] == "line"} == {"", "flagged"}

    page = await client.get(f"/v1/statements/{anna}/2026-Q1.html", headers=own)
    assert page.headers["content-type"].startswith("text/html")
    assert "40.00 EUR" in page.text
    assert "flagged" in page.text
    assert "http" not in page.text.replace("charset", "")  # no external assets

    other = await client.get(f"/v1/statements/{ben}/2026-Q1", headers=own)
    other_csv = await client.get(f"/v1/statements/{ben}/2026-Q1.csv", headers=own)
    assert (other.status_code, other_csv.status_code) == (404, 404)
    assert (await client.get(f"/v1/statements/{anna}/2026-X9")).status_code == 422


async def test_payables_export_for_finance(client: httpx.AsyncClient, db: AsyncSession) -> None:
    anna = await a_partner(db)
    await a_line(db, anna, "1000.00")
    await a_run(client, await a_programme(client, rebate("0.01")))

    exported = await client.get("/v1/payables/export.csv", params={"partner_id": str(anna)})

    assert exported.status_code == 200
    # a draft: 10.00 earned, nothing approved, held or paid yet
    assert exported.text.splitlines() == [
        "partner_id,currency,earned,approved,on_hold,paid",
        f"{anna},EUR,10.00,0.00,0.00,0.00",
    ]
    mine = await client.get("/v1/payables", headers=internal_headers(partner_user(anna)))
    assert [row["partner_id"] for row in mine.json()] == [str(anna)]


async def test_statement_totals_count_only_what_is_paid(client: httpx.AsyncClient, db: AsyncSession) -> None:
    anna = await a_partner(db)
    await a_line(db, anna, "1000.00", on=date(2026, 2, 10))
    held, paid, approved, draft = [
        await a_programme(client, rebate(r)) for r in ("0.05", "0.02", "0.01", "0.03")
    ]
    held_run, paid_run, approved_run = [await a_run(client, p) for p in (held, paid, approved)]
    await a_run(client, draft)
    hold = await client.post(
        f"/v1/calculation-runs/{held_run['id']}/payouts/{anna}/hold", json={"reason": "contract under review"}
    )
    assert hold.status_code == 200  # the run is approved then: nothing is pending
    for run in (paid_run, approved_run):
        assert (await client.post(f"/v1/calculation-runs/{run['id']}/approval")).status_code == 200
    for run in (held_run, paid_run):
        assert (await client.post(f"/v1/calculation-runs/{run['id']}/payment")).status_code == 200

    as_vendor = (await client.get(f"/v1/statements/{anna}/2026-Q1")).json()
    as_partner = (
        await client.get(f"/v1/statements/{anna}/2026-Q1", headers=internal_headers(partner_user(anna)))
    ).json()

    # every section stays: held 50.00 (of a paid run), paid 20.00, approved 10.00, draft 30.00 (vendor only)
    shown = sorted((s["payout_status"], s["amount"]["amount"]) for s in as_vendor["programmes"])
    assert shown == [("approved", "10.00"), ("held", "50.00"), ("paid", "20.00"), ("pending", "30.00")]
    assert len(as_partner["programmes"]) == 3
    # but only the 20.00 is paid
    assert as_vendor["totals"] == as_partner["totals"] == [{"amount": "20.00", "currency": "EUR"}]
    payables = (await client.get("/v1/payables", params={"partner_id": str(anna)})).json()
    assert [row["paid"] for row in payables] == ["20.00"]


async def test_a_partners_text_that_a_spreadsheet_would_run_is_defused_in_the_statement_csv(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    await a_line(db, anna, "1000.00", sku='=HYPERLINK("http://evil.example","x")')
    await a_run(client, await a_programme(client, rebate("0.1")))

    as_csv = await client.get(f"/v1/statements/{anna}/2026-Q1.csv")

    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    [line] = [r for r in rows if r["row"] == "line"]
    assert line["product_sku"] == '\'=HYPERLINK("http://evil.example","x")'
    assert line["amount"] == "100.00"  # numbers, negative ones too, are left as they are


async def test_a_locked_run_whose_lines_changed_since_says_why_its_statement_shows_no_lines(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db)
    await a_line(db, anna, "1000.00", payment_status="paid", paid_on=date(2026, 2, 10))
    later_paid = await a_line(db, anna, "500.00")  # invoiced: not paid in the period when the run is made
    run = await a_run(client, await a_programme(client, rebate("0.1"), basis="paid"))
    assert (await client.post(f"/v1/calculation-runs/{run['id']}/approval")).status_code == 200
    before = (await client.get(f"/v1/statements/{anna}/2026-Q1")).json()["programmes"][0]
    # the partner's system reports the second line paid within the period, after the run was approved
    line = await db.get(SalesLine, later_paid)
    assert line is not None
    line.payment_status, line.paid_on = "paid", date(2026, 3, 1)
    await db.flush()

    after = await client.get(f"/v1/statements/{anna}/2026-Q1")
    as_csv = await client.get(f"/v1/statements/{anna}/2026-Q1.csv")

    assert (len(before["lines"]), before["lines_unavailable"]) == (1, None)
    section = after.json()["programmes"][0]
    assert section["amount"] == {"amount": "100.00", "currency": "EUR"}  # 10 % of 1,000: the figures stand
    assert section["lines"] == []
    assert "changed after this run was computed" in section["lines_unavailable"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["note"] for r in rows if r["row"] == "lines_unavailable"] == [section["lines_unavailable"]]


ACCEPTED = {
    "csv not acceptable": ("text/csv;q=0", "application/json"),
    "csv less wanted than json": ("text/csv;q=0.1, application/json", "application/json"),
    "html less wanted than json": ("application/json, text/html;q=0.5", "application/json"),
    "html more wanted than csv": ("text/csv;q=0.5, text/html;q=0.9", "text/html"),
    "csv and html equally: csv, as before": ("text/html, text/csv", "text/csv"),
    "anything: json": ("*/*", "application/json"),
    "html, else anything": ("text/html, */*;q=0.1", "text/html"),
    "only what is not offered: json": ("image/png", "application/json"),
    "no header": (None, "application/json"),
}


@pytest.mark.parametrize(("accept", "answered"), ACCEPTED.values(), ids=ACCEPTED.keys())
async def test_a_statement_answers_the_format_the_client_prefers_by_quality(
    client: httpx.AsyncClient, db: AsyncSession, accept: str | None, answered: str
) -> None:
    anna = await a_partner(db)
    await a_line(db, anna, "1000.00")
    await a_run(client, await a_programme(client, rebate("0.01")))

    headers = {} if accept is None else {"Accept": accept}
    answer = await client.get(f"/v1/statements/{anna}/2026-Q1", headers=headers)

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].split(";")[0] == answered
    assert answer.headers["vary"] == "Accept"  # whichever format: a cache keys it by Accept


@pytest.mark.parametrize(
    ("accept", "answered"),
    [
        ("text/csv;q=0", "application/json"),
        ("text/csv;q=0.2, application/json;q=0.8", "application/json"),
        ("application/json;q=0.5, text/csv", "text/csv"),
    ],
)
async def test_payables_answer_the_format_the_client_prefers_by_quality(
    client: httpx.AsyncClient, accept: str, answered: str
) -> None:
    answer = await client.get("/v1/payables", headers={"Accept": accept})

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].split(";")[0] == answered
    assert answer.headers["vary"] == "Accept"

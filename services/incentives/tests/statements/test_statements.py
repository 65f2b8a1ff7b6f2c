"""Statements as JSON, CSV and printable HTML: lines with rules and rates, held lines, totals; a partner's
credential gets its own (approved runs) only. Payables as CSV for finance."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import httpx
import pytest
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

    answer = await client.get(f"/v1/statements/{anna}/2026-Q1", headers=own)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    # 1,000 * 4 % = 40.00; the flagged 250.00 is held, not paid
    assert body["totals"] == [{"amount": "40.00", "currency": "EUR"}]
    section = body["programmes"][0]
    assert (section["payout_status"], section["held_lines"]) == ("approved", 1)
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

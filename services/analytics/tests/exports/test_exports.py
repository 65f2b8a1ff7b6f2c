"""CSV exports: each equals its JSON view for the same filters (every page of it), streams page by page with
sessions of its own, and a partner's own credential exports only its own data and no ecosystem view."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

import httpx
import pytest
from analytics.exports import service as exports
from analytics.partners.models import PartnerDimension
from fastapi import FastAPI
from prm_contracts.principal import Principal
from prm_kit.testing import internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

from ..ecosystem.test_set_based_leaderboards import _rate, _send
from ..kpis.test_snapshot import a_return, sale
from ..sales.factories import Sender
from ..sales.fakes import FakeRegistry

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 7, 1, tzinfo=UTC)


def _bound_to(partner_id: UUID) -> dict[str, str]:
    return internal_headers(
        Principal(subject="key:p", scopes=frozenset({"analytics:read"}), partner_id=partner_id)
    )


def _flat(item: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A JSON item as the CSV should show it, worked out independently of the exporter."""
    cells: dict[str, str] = {}
    for key, value in item.items():
        if isinstance(value, dict):
            cells |= _flat(value, f"{prefix}{key}_")
        elif isinstance(value, list):
            cells[prefix + key] = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        elif isinstance(value, bool):
            cells[prefix + key] = "true" if value else "false"
        else:
            cells[prefix + key] = "" if value is None else str(value)
    return cells


def _rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.content.decode(), newline="")))


async def _all_pages(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = (
            await client.get(path, params=params | {"limit": 2} | ({"cursor": cursor} if cursor else {}))
        ).json()
        items += page["items"]
        if (cursor := page["next_cursor"]) is None:
            return items


async def _chunks(
    app: FastAPI, path: str, params: dict[str, str], headers: dict[str, str]
) -> tuple[int, list[bytes]]:
    """The response as the ASGI server sends it: its status and each body chunk (httpx's in-process transport
    joins them)."""
    status, chunks = 0, []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": urlencode(params).encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "server": ("test", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
    }

    requested = False
    finished = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()  # the client stays connected until the whole body was sent
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and message.get("body"):
            chunks.append(message["body"])

    await app(scope, receive, send)
    finished.set()
    return status, chunks


async def _arrange(sender: Sender, registry: FakeRegistry, db: AsyncSession) -> dict[str, UUID]:
    """own: 5 lines (one a return without original, for a customer who never bought: a flag), in EUR and
    USD; other: 2 lines. Received on 2026-07-10, after every line's day (none is future-dated)."""
    sender.clock.now = datetime(2026, 7, 10, 9, tzinfo=UTC)
    ids = {
        "own": await _send(
            sender,
            registry,
            sale("2026-07-01", "10.50", "A", cost="4.25"),
            sale("2026-07-02", "20.00", "B"),
            sale("2026-07-03", "30.00", "C", currency="USD"),
            sale("2026-06-04", "1234567.8912", "A"),
            a_return("2026-07-05", "5.00", "Z"),
        ),
        "other": await _send(
            sender, registry, sale("2026-07-01", "99.99", "X"), sale("2026-07-09", "1.00", "Y")
        ),
    }
    db.add(PartnerDimension(partner_id=ids["own"], name='Own, "quoted" GmbH', tier="gold", updated_at=NOW))
    db.add(_rate(date(2026, 1, 1), "0.8"))
    await db.flush()
    return ids


async def test_sales_lines_csv_equals_the_list_streamed_page_by_page(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    sender: Sender,
    registry: FakeRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = await _arrange(sender, registry, db)
    monkeypatch.setattr(exports, "LINES_PER_PAGE", 2)
    params = {"partner_id": str(ids["own"])}

    status, chunks = await _chunks(app, "/v1/exports/sales-lines", params, internal_headers())
    rows = _rows(await client.get("/v1/exports/sales-lines", params=params))

    assert status == 200
    assert len(chunks) == 3  # 5 lines, 2 a page: the header with a page, then two more pages
    assert b"".join(chunks).decode().startswith("id,partner_id,external_id,kind,occurred_on,")
    listed = await _all_pages(client, "/v1/sales/lines", **params)
    assert rows == [_flat(item) for item in listed]
    assert [row["amount"] for row in rows if row["occurred_on"] == "2026-06-04"] == ["1234567.8912"]  # exact


async def test_a_partner_exports_its_own_lines_flags_and_kpis_only(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    ids = await _arrange(sender, registry, db)
    own = _bound_to(ids["own"])

    lines = _rows(await client.get("/v1/exports/sales-lines", headers=own))
    flags = _rows(await client.get("/v1/exports/anomaly-flags", headers=own))
    kpis = _rows(await client.get("/v1/exports/kpis", params={"period": "2026-07"}, headers=own))

    assert {row["partner_id"] for row in lines} == {str(ids["own"])}
    assert len(lines) == 5
    assert [(row["partner_id"], row["code"]) for row in flags] == [(str(ids["own"]), "return_without_sale")]
    assert [row["partner_id"] for row in kpis] == [str(ids["own"])]
    other = str(ids["other"])
    assert (
        await client.get("/v1/exports/sales-lines", params={"partner_id": other}, headers=own)
    ).status_code == 403
    assert (
        await client.get("/v1/exports/kpis", params={"period": "2026-07", "partner_id": other}, headers=own)
    ).status_code == 404
    for path, params in (
        ("/v1/exports/leaderboard", {"kpi": "revenue", "period": "2026-07"}),
        ("/v1/exports/revenue-by-segment", {"by": "tier", "period": "2026-07"}),
        ("/v1/exports/time-series", {"period": "2026"}),
        ("/v1/exports/cohorts", {"period": "2026"}),
    ):
        refused = await client.get(path, params=params, headers=own)
        assert refused.status_code == 403, path
        assert refused.headers["content-type"] == "application/problem+json"


async def test_kpi_snapshots_csv_equals_each_snapshot(
    client: httpx.AsyncClient,
    db: AsyncSession,
    sender: Sender,
    registry: FakeRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = await _arrange(sender, registry, db)
    monkeypatch.setattr(exports, "PARTNERS_PER_PAGE", 1)  # every partner analytics knows, a page each

    rows = _rows(await client.get("/v1/exports/kpis", params={"period": "2026-07", "currency": "EUR"}))

    by_partner = {row["partner_id"]: row for row in rows}
    assert len(rows) == len(by_partner)
    assert {str(ids["own"]), str(ids["other"])} <= set(by_partner)
    assert [row["partner_id"] for row in rows] == sorted(by_partner)
    for partner_id in ids.values():
        snapshot = (
            await client.get(
                f"/v1/kpis/partners/{partner_id}", params={"period": "2026-07", "currency": "EUR"}
            )
        ).json()
        assert by_partner[str(partner_id)] == _flat(snapshot)
    # own: 10.50 + 20 + 30 USD x 0.8 - 5 = 49.5
    assert by_partner[str(ids["own"])]["revenue_value"] == "49.5000"
    named = _rows(
        await client.get("/v1/exports/kpis", params={"period": "2026-07", "partner_id": str(ids["other"])})
    )
    assert [row["partner_id"] for row in named] == [str(ids["other"])]
    unknown = await client.get("/v1/exports/kpis", params={"period": "2026-07", "partner_id": str(uuid4())})
    assert unknown.status_code == 404


async def test_anomaly_flags_csv_equals_the_list(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    await _arrange(sender, registry, db)

    rows = _rows(await client.get("/v1/exports/anomaly-flags", params={"status": "open"}))

    listed = await _all_pages(client, "/v1/anomaly-flags", status="open")
    assert len(listed) >= 1
    assert rows == [_flat(item) for item in listed]


async def test_ecosystem_exports_equal_their_views(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    await _arrange(sender, registry, db)

    # the leaderboard view is the top `limit`; its export, every partner
    for export, view, params, view_only, key in (
        (
            "leaderboard",
            "/v1/leaderboards",
            {"kpi": "revenue", "period": "2026-07"},
            {"limit": "200"},
            "items",
        ),
        ("revenue-by-segment", "/v1/ecosystem/revenue", {"by": "tier", "period": "2026-07"}, {}, "segments"),
        ("time-series", "/v1/ecosystem/time-series", {"period": "2026", "tier": "gold"}, {}, "points"),
    ):
        rows = _rows(await client.get(f"/v1/exports/{export}", params=params))
        expected = (await client.get(view, params=params | view_only)).json()[key]
        assert rows == [_flat(item) for item in expected], export
        assert rows, export

    concentration = _rows(await client.get("/v1/exports/concentration", params={"period": "2026-07"}))
    view_of_it = (await client.get("/v1/ecosystem/concentration", params={"period": "2026-07"})).json()
    assert concentration == [_flat(view_of_it)]

    cohorts = _rows(await client.get("/v1/exports/cohorts", params={"period": "2026"}))
    view = (await client.get("/v1/ecosystem/cohorts", params={"period": "2026"})).json()["cohorts"]
    assert cohorts == [
        {"cohort": c["cohort"], "partners": str(c["partners"])} | {k: v for k, v in _flat(q).items()}
        for c in view
        for q in c["quarters"]
    ]
    # own first sold on 4 June (2026-Q2), other on 1 July (2026-Q3): each cohort to the year's end
    assert [(row["cohort"], row["quarter"], row["partners"]) for row in cohorts] == [
        ("2026-Q2", "2026-Q2", "1"),
        ("2026-Q2", "2026-Q3", "1"),
        ("2026-Q2", "2026-Q4", "1"),
        ("2026-Q3", "2026-Q3", "1"),
        ("2026-Q3", "2026-Q4", "1"),
    ]


async def test_text_a_spreadsheet_would_run_is_defused(
    client: httpx.AsyncClient, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id = await _send(
        sender, registry, sale("2026-07-01", "10.00", '=HYPERLINK("http://evil.example")')
    )

    [row] = _rows(await client.get("/v1/exports/sales-lines", params={"partner_id": str(partner_id)}))

    assert row["customer_name"] == '\'=HYPERLINK("http://evil.example")'
    assert row["amount"] == "10.0000"

"""`POST /v1/sales/imports`: a CSV file of sales lines stored through the webhook's ingestion path, chunk by
chunk, with a line-level report; a re-upload is all duplicates."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from analytics.sales.models import SalesDailyRollup, SalesLine, SalesLineKey
from analytics.sales_imports import router, service
from analytics.sales_imports.columns import transaction_of
from analytics.sales_imports.schemas import SalesImportStopped
from fastapi import FastAPI
from prm_contracts.principal import Principal
from prm_contracts.sales import SALES_RECORDED
from prm_kit.clock import utc_now
from prm_kit.outbox import outbox_event
from prm_kit.testing import internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

from ..sales.fakes import FakeRegistry
from .csv_files import HEADER, csv_file, row

pytestmark = pytest.mark.asyncio
CSV = {"content-type": "text/csv"}


def imports_path(partner_id: UUID) -> str:
    return f"/v1/sales/imports?partner_id={partner_id}"


async def _stored(db: AsyncSession, partner_id: UUID) -> tuple[int, Decimal]:
    """(lines, sum of amounts) stored for the partner."""
    count, total = (
        await db.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(SalesLine.amount), 0)).where(
                SalesLine.partner_id == partner_id
            )
        )
    ).one()
    return int(count), Decimal(total)


async def _table_counts(db: AsyncSession) -> tuple[int, ...]:
    tables = (SalesLine.__table__, SalesLineKey.__table__, SalesDailyRollup.__table__, outbox_event)
    return tuple([int(await db.scalar(sa.select(sa.func.count()).select_from(t)) or 0) for t in tables])


async def test_a_file_is_stored_line_by_line_and_a_re_upload_is_all_duplicates(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    partner = registry.partner_without_secrets()
    body = csv_file(
        row("S-1"),
        row("S-2", quantity="3", unit_price="10.50", amount="31.50", cost="20.00", customer_is_new="true"),
        row(
            "R-1",
            kind="return",
            quantity="1",
            unit_price="150.00",
            amount="150.00",
            original_external_id="S-1",
        ),
    )

    first = await client.post(imports_path(partner), content=body, headers=CSV)

    assert first.status_code == 200, first.text
    report = first.json()
    assert report["counts"] == {"records": 3, "accepted": 3, "duplicate": 0, "rejected": 0, "invalid": 0}
    assert report["complete"] is True
    assert report["committed_through_line"] == 4
    assert [(c["first_line"], c["last_line"], c["accepted"]) for c in report["chunks"]] == [(2, 4, 3)]
    assert report["errors"] == []
    # amounts are stored positive: 300.00 + 31.50 + 150.00
    assert await _stored(db, partner) == (3, Decimal("481.50"))
    # rollups as a webhook leaves them: gross 300.00 + 31.50, returns 150.00
    gross, returns = (
        await db.execute(
            sa.select(
                sa.func.sum(SalesDailyRollup.gross_amount), sa.func.sum(SalesDailyRollup.returns_amount)
            ).where(SalesDailyRollup.partner_id == partner)
        )
    ).one()
    assert (Decimal(gross), Decimal(returns)) == (Decimal("331.50"), Decimal("150.00"))
    events = (
        await db.scalars(sa.select(outbox_event.c.payload).where(outbox_event.c.type == SALES_RECORDED))
    ).all()
    mine = [event for event in events if event["data"]["partner_id"] == str(partner)]
    assert [len(event["data"]["lines"]) for event in mine] == [3]
    assert mine[0]["data"]["webhook_id"] == report["chunks"][0]["batch_id"]
    before = await _table_counts(db)

    again = await client.post(imports_path(partner), content=body, headers=CSV)

    assert again.status_code == 200, again.text
    assert again.json()["counts"] == {
        "records": 3,
        "accepted": 0,
        "duplicate": 3,
        "rejected": 0,
        "invalid": 0,
    }
    assert await _table_counts(db) == before  # nothing added, not even an event


async def test_refused_lines_are_reported_with_their_line_numbers_and_nothing_of_them_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    partner = registry.partner_without_secrets()
    stored = await client.post(imports_path(partner), content=csv_file(row("S-1")), headers=CSV)
    assert stored.status_code == 200
    body = csv_file(
        row("S-2"),  # line 2: stored
        row("S-3", amount="299.99"),  # line 3: not quantity * unit_price
        "S-4,sale,2026-06-15",  # line 4: too few fields
        row("S-1", unit_price="151.00", amount="302.00"),  # line 5: S-1 is stored with other content
        row("R-9", kind="return", quantity="1", amount="150.00", original_external_id="S-404"),  # line 6
        "",  # a blank line is not a record
        row("S-5", customer_name="", currency="EURO"),  # line 8: two fields wrong
        row("S-1"),  # line 9: the stored line again
    )

    response = await client.post(imports_path(partner), content=body, headers=CSV)

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["counts"] == {"records": 7, "accepted": 1, "duplicate": 1, "rejected": 2, "invalid": 3}
    errors = {error["line"]: error for error in report["errors"]}
    assert sorted(errors) == [3, 4, 5, 6, 8]
    assert (errors[3]["external_id"], errors[3]["reason"]) == ("S-3", "invalid")
    assert "amount 299.99 is not quantity * unit_price" in errors[3]["detail"]
    assert (errors[4]["external_id"], errors[4]["reason"]) == (None, "malformed_record")
    assert (errors[5]["external_id"], errors[5]["reason"]) == ("S-1", "content_differs")
    assert (errors[6]["external_id"], errors[6]["reason"]) == ("R-9", "original_not_found")
    assert (errors[8]["column"], errors[8]["reason"]) == ("customer_name", "invalid")
    assert "currency" in errors[8]["detail"]
    assert report["errors_truncated"] is False
    # only S-1 (first upload) and S-2: 300.00 each, S-1 unchanged
    assert await _stored(db, partner) == (2, Decimal("600.00"))


async def test_customer_is_new_takes_true_or_false_in_any_case_and_nothing_else(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    partner = registry.partner_without_secrets()
    body = csv_file(row("S-1", customer_is_new="TRUE"), row("S-2", customer_is_new="yes"))

    response = await client.post(imports_path(partner), content=body, headers=CSV)

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["counts"]["accepted"], report["counts"]["invalid"]) == (1, 1)
    [error] = report["errors"]
    assert (error["line"], error["column"], error["reason"]) == (3, "customer_is_new", "invalid")
    stored = await db.scalar(sa.select(SalesLine.customer_is_new).where(SalesLine.partner_id == partner))
    assert stored is True


async def test_a_control_character_refuses_its_line_as_a_json_body_would(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    # a customer named "A\0B" was stored on SQLite (and its sales.recorded event was then one PostgreSQL
    # subscribers could not store); the webhook refuses the same text in JSON
    partner = registry.partner_without_secrets()
    body = csv_file(row("C-1"), row("C-2", customer_name="A\x00B"), row("C-3", customer_name="\x1b[31mred"))

    response = await client.post(imports_path(partner), content=body, headers=CSV)

    assert response.status_code == 200, response.text
    errors = {error["line"]: error for error in response.json()["errors"]}
    assert sorted(errors) == [3, 4]
    assert errors[3]["reason"] == errors[4]["reason"] == "malformed_record"
    assert "U+0000 (NUL)" in errors[3]["detail"]
    assert "U+001B (ESC)" in errors[4]["detail"]
    assert await _stored(db, partner) == (1, Decimal("300.00"))


async def test_a_file_without_a_storable_line_is_a_422_with_the_report_and_stores_nothing(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    partner = registry.partner_without_secrets()
    before = await _table_counts(db)

    response = await client.post(
        imports_path(partner),
        content=csv_file(row("S-1", kind="gift"), row("S-2", quantity="0")),
        headers=CSV,
    )

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/problems/sales-import-rejected")
    assert [error["line"] for error in problem["report"]["errors"]] == [2, 3]
    assert await _table_counts(db) == before


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b"external_id,kind\nS-1,sale\n", "text/csv", 422, "missing occurred_on"),
        (HEADER.encode() + b"\n", "text/csv", 422, "no sales lines"),
        (b"", "text/csv", 422, "empty"),
        (csv_file(row("S-1")), "application/json", 415, "text/csv"),
    ],
)
async def test_a_file_refused_whole_stores_nothing(
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: FakeRegistry,
    body: bytes,
    content_type: str,
    status: int,
    words: str,
) -> None:
    before = await _table_counts(db)

    response = await client.post(
        imports_path(registry.partner_without_secrets()), content=body, headers={"content-type": content_type}
    )

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]
    assert await _table_counts(db) == before


async def test_a_partner_the_registry_does_not_know_is_a_404_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    unknown = uuid4()  # never given to the registry
    before = await _table_counts(db)

    response = await client.post(imports_path(unknown), content=csv_file(row("S-1")), headers=CSV)

    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert str(unknown) in response.json()["detail"]
    assert await _table_counts(db) == before
    assert await _stored(db, unknown) == (0, Decimal(0))


async def test_a_registry_that_cannot_answer_is_a_503_to_retry_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    partner = registry.partner_without_secrets()
    registry.mode = "unreachable"
    before = await _table_counts(db)

    response = await client.post(imports_path(partner), content=csv_file(row("S-1")), headers=CSV)

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert "nothing was stored" in response.json()["detail"]
    assert await _table_counts(db) == before


async def test_a_partners_own_credential_imports_its_own_sales_only(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    own, other = registry.partner_without_secrets(), registry.partner_without_secrets()
    key = Principal(subject="key:erp", scopes=frozenset({"analytics:write"}), partner_id=own)
    headers = CSV | internal_headers(key)

    refused = await client.post(imports_path(other), content=csv_file(row("S-1")), headers=headers)
    accepted = await client.post(imports_path(own), content=csv_file(row("S-1")), headers=headers)

    assert refused.status_code == 403
    assert accepted.status_code == 200, accepted.text
    assert await _stored(db, other) == (0, Decimal(0))
    assert await _stored(db, own) == (1, Decimal("300.00"))


async def _pieces(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_chunks_are_committed_in_order_and_a_repeat_starts_a_new_chunk(
    app: FastAPI, db: AsyncSession
) -> None:
    partner = uuid4()
    body = csv_file(row("S-1"), row("S-2"), row("S-3"), row("S-3"), row("S-4"), row("S-5"))

    report = await service.import_sales(
        app.state.session_factory,
        _pieces(body),
        partner_id=partner,
        import_id="t1",
        now=utc_now(),
        chunk_lines=2,
    )

    # [S-1 S-2] full; [S-3] closed by the repeat of S-3; [S-3 S-4] full; [S-5]
    assert [
        (c["first_line"], c["last_line"], c["accepted"], c["duplicate"]) for c in _dumped(report.chunks)
    ] == [
        (2, 3, 2, 0),
        (4, 4, 1, 0),
        (5, 6, 1, 1),
        (7, 7, 1, 0),
    ]
    assert await _stored(db, partner) == (5, Decimal("1500.00"))


async def test_a_file_breaking_off_after_a_committed_chunk_keeps_that_chunk_and_says_so(
    app: FastAPI, db: AsyncSession
) -> None:
    partner = uuid4()
    body = csv_file(row("S-1"), row("S-2"), row("S-3")) + b"S-4,\xff\n"

    with pytest.raises(SalesImportStopped) as stopped:
        await service.import_sales(
            app.state.session_factory,
            _pieces(body),
            partner_id=partner,
            import_id="t2",
            now=utc_now(),
            chunk_lines=2,
        )

    report: dict[str, Any] = stopped.value.extensions["report"]
    assert report["complete"] is False
    assert report["committed_through_line"] == 3
    assert [chunk["accepted"] for chunk in report["chunks"]] == [2]
    assert "line 5" in str(stopped.value.detail)
    # S-3 was read but its chunk never committed
    assert await _stored(db, partner) == (2, Decimal("600.00"))


def _dumped(items: list[Any]) -> list[dict[str, Any]]:
    return [item.model_dump() for item in items]


async def test_the_payment_day_is_a_column_and_a_paid_line_without_it_was_paid_the_day_it_occurred(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    partner = registry.partner_without_secrets()
    body = csv_file(
        row("CASH", payment_status="paid"),
        row("DATED", payment_status="paid", paid_on="2026-06-30"),
        row("OPEN", paid_on="2026-06-30"),  # invoiced: a payment day is refused
    )

    response = await client.post(imports_path(partner), content=body, headers=CSV)

    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    assert [(e["external_id"], e["reason"]) for e in errors] == [("OPEN", "invalid")]
    assert "paid_on is only for payment_status paid" in errors[0]["detail"]
    stored = await db.execute(
        sa.select(SalesLine.external_id, SalesLine.paid_on).where(SalesLine.partner_id == partner)
    )
    assert {external_id: str(paid_on) for external_id, paid_on in stored} == {
        "CASH": "2026-06-15",
        "DATED": "2026-06-30",
    }


async def test_the_documented_example_file_is_valid_line_by_line() -> None:
    records = list(csv.DictReader(io.StringIO(router._EXAMPLE)))

    assert len(records) == 2
    assert all(None not in record and None not in record.values() for record in records)  # field counts
    assert [transaction_of(record).external_id for record in records] == ["INV-1003-1", "RET-1003-1"]


async def test_a_chunk_taking_a_total_past_its_exact_range_stops_the_import_and_keeps_what_was_committed(
    app: FastAPI, db: AsyncSession
) -> None:
    # each line is in bounds; the day's rollup is not once the last chunk is added to it
    partner, big = uuid4(), "99999999999"
    await service.import_sales(
        app.state.session_factory,
        _pieces(csv_file(row("SEED"))),
        partner_id=partner,
        import_id="t3",
        now=utc_now(),
    )
    # 5 * 10^10 under the column's bound: PostgreSQL's NUMERIC(19, 4), SQLite's scaled 64-bit integer
    bound = Decimal(10**15) if db.bind.dialect.name == "postgresql" else Decimal("922337203685477.5807")
    near_the_bound = bound - 50_000_000_000
    await db.execute(
        sa.update(SalesDailyRollup)
        .where(SalesDailyRollup.partner_id == partner)
        .values(gross_amount=near_the_bound)
    )
    await db.commit()
    body = csv_file(row("S-1"), row("S-2"), row("B-1", quantity="1", unit_price=big, amount=big))

    with pytest.raises(SalesImportStopped) as stopped:
        await service.import_sales(
            app.state.session_factory,
            _pieces(body),
            partner_id=partner,
            import_id="t4",
            now=utc_now(),
            chunk_lines=2,
        )

    report: dict[str, Any] = stopped.value.extensions["report"]
    assert (report["complete"], report["committed_through_line"]) == (False, 3)
    assert [chunk["accepted"] for chunk in report["chunks"]] == [2]
    assert "lines 4-4 would take a stored total" in str(stopped.value.detail)
    assert [issue.type for issue in stopped.value.errors] == ["number_out_of_range"]
    assert await _stored(db, partner) == (3, Decimal("900.00"))  # the seed and the committed chunk
    db.expire_all()
    day = await db.scalar(
        sa.select(SalesDailyRollup.gross_amount).where(SalesDailyRollup.partner_id == partner)
    )
    assert day == near_the_bound + Decimal("600.00")

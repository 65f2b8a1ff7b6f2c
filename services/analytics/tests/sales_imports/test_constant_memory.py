"""An import holds one chunk, never the file: its peak memory does not grow with the file's size.

The database's part and a line's validation are the same for every chunk and line, so they are stood in for
here (a fake batch store counting what it was given, a line built without its checks: tracemalloc makes the
real ones slow); what is measured is everything that could hold the file: the body stream, the CSV reader,
the chunking and the report.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID, uuid4

import pytest
from analytics.sales import service as sales
from analytics.sales_imports import service
from prm_contracts.sales import SalesReportedMessage, SalesTransaction, SalesWebhookAnswer, WebhookCounts
from prm_kit.clock import utc_now

from .csv_files import HEADER, row

pytestmark = [pytest.mark.asyncio, pytest.mark.backend_independent]
PIECE = 64 * 1024
KIB = 1024


def _rows() -> Iterator[bytes]:
    yield (HEADER + "\n").encode()
    number = 0
    while True:
        number += 1
        yield (row(f"S-{number}", customer_name=f"Customer {number % 977}") + "\n").encode()


async def _body(size: int) -> AsyncIterator[bytes]:
    """`size` bytes of CSV (whole records), in pieces as a socket would deliver them."""
    sent, pending = 0, b""
    for record in _rows():
        if sent + len(pending) + len(record) > size:
            break
        pending += record
        if len(pending) >= PIECE:
            yield pending
            sent += len(pending)
            pending = b""
    if pending:
        yield pending


class _FakeStore:
    def __init__(self) -> None:
        self.lines = 0

    async def record(
        self, _session: Any, message: SalesReportedMessage, *, partner_id: UUID, batch_id: str, now: Any
    ) -> SalesWebhookAnswer:
        count = len(message.data.transactions)
        self.lines += count
        return SalesWebhookAnswer(
            webhook_id=batch_id,
            type="sales.reported",
            counts=WebhookCounts(received=count, accepted=count, duplicate=0, rejected=0),
            accepted=[],
            duplicate=[],
            rejected=[],
        )


def _unchecked_line(values: Mapping[str, str]) -> SalesTransaction:
    return SalesTransaction.model_construct(**values)


class _Session:
    async def commit(self) -> None:
        return None

    async def rollback(self) -> None:
        return None


@asynccontextmanager
async def _session() -> AsyncIterator[_Session]:
    yield _Session()


async def _peak_and_lines(size: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    store = _FakeStore()
    monkeypatch.setattr(sales, "record_sales_batch", store.record)
    monkeypatch.setattr(service, "transaction_of", _unchecked_line)
    tracemalloc.start()
    try:
        report = await service.import_sales(
            _session,  # type: ignore[arg-type]
            _body(size),
            partner_id=uuid4(),
            import_id="memory",
            now=utc_now(),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.counts.accepted == store.lines == report.counts.records
    return peak, store.lines


async def test_peak_memory_does_not_grow_with_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    small_peak, small_lines = await _peak_and_lines(256 * KIB, monkeypatch)
    large_peak, large_lines = await _peak_and_lines(1024 * KIB, monkeypatch)

    assert large_lines > 3.9 * small_lines  # the larger file really is four times the lines
    # Holding the file would add at least its 768 KiB of extra text between the two runs (more as parsed
    # lines); one chunk and the report's few entries are the same in both.
    assert large_peak - small_peak < 128 * KIB, (small_peak, large_peak)

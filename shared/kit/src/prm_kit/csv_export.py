"""Streaming an export: the first page is read by the request (so a bad parameter is still a problem+json
answer before any byte is sent), every later page with a session of its own from the app's session factory
(the request's session is closed by then), one CSV chunk per page, so memory holds one page whatever the size
of the export."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from prm_contracts.pagination import Page
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from prm_kit.csv_rows import cells, columns, csv_bytes
from prm_kit.db.engine import READ_ONLY

NextPage = Callable[[AsyncSession, str], Awaitable[Page[Any]]]
ROWS_PER_CHUNK = 500  # of a view computed whole (leaderboards, series): one chunk per so many rows
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


async def _paged(
    request: Request, model: type[BaseModel], first: Page[Any], next_page: NextPage
) -> AsyncIterator[bytes]:
    yield csv_bytes([columns(model), *(cells(item) for item in first.items)])
    cursor = first.next_cursor
    while cursor is not None:
        async with request.app.state.session_factory() as session:
            await session.connection(execution_options=READ_ONLY)
            page = await next_page(session, cursor)
        yield csv_bytes(cells(item) for item in page.items)
        cursor = page.next_cursor


async def _whole(
    model: type[BaseModel], items: Sequence[BaseModel], rows_per_chunk: int
) -> AsyncIterator[bytes]:
    yield csv_bytes([columns(model)])
    for start in range(0, len(items), rows_per_chunk):
        yield csv_bytes(cells(item) for item in items[start : start + rows_per_chunk])


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}.csv"'}


def _response(chunks: AsyncIterator[bytes], filename: str) -> StreamingResponse:
    return StreamingResponse(chunks, media_type=CSV_MEDIA_TYPE, headers=_attachment(filename))


def csv_attachment(content: str | bytes, *, filename: str) -> Response:
    """A CSV made whole (a statement, a finance export) as a download named `filename`.csv."""
    return Response(content, media_type=CSV_MEDIA_TYPE, headers=_attachment(filename))


def csv_document(description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` entry of an operation answering CSV."""
    return {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": description}}


def paged_csv(
    request: Request, model: type[BaseModel], first: Page[Any], next_page: NextPage, *, filename: str
) -> StreamingResponse:
    """`first` and the pages after it (each `next_page(session, cursor)`) as one CSV of `model` rows."""
    return _response(_paged(request, model, first, next_page), filename)


def whole_csv(
    model: type[BaseModel], items: Sequence[BaseModel], *, filename: str, rows_per_chunk: int = ROWS_PER_CHUNK
) -> StreamingResponse:
    """A view computed whole (one row per partner, month or cohort quarter: bounded by partners, not lines)."""
    return _response(_whole(model, items, rows_per_chunk), filename)


CSV_RESPONSE = csv_document(
    "A CSV file (RFC 4180, UTF-8) with a header row; one row per item of the JSON view, nested fields flattened "
    "with `_` (`revenue_value`, `revenue_reason`), decimals exactly as the JSON view writes them, null as an "
    "empty cell. Streamed."
)

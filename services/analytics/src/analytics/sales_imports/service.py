"""Importing a CSV file of sales lines as it streams in, through the webhook's own ingestion path.

A file of any size is read record by record (`prm_kit.csv_upload`) and never held: each record is validated
with the webhook's line model, and valid lines go in chunks of `CHUNK_LINES` to the same de-duplication,
rollups and `sales.recorded` event as a delivery's (`analytics.sales.service.record_sales_batch`). **Each
chunk is its own transaction**: a 1 GB file cannot be one, so an import that stops part way (the file broke
off, a conflict) keeps the chunks it committed and says which (`committed_through_line`). Uploading the same
file again is always safe: a line stored with the same content is a duplicate, never stored twice.

A chunk never holds one external_id twice: a repeat closes the chunk first, so the repeat is judged against
what the earlier line stored (a duplicate, or `content_differs`) and every answer maps to one line number.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable
from datetime import datetime
from uuid import UUID

from prm_contracts.problem import UnprocessableContent, ValidationIssue
from prm_contracts.sales import SalesReportedData, SalesReportedMessage, SalesTransaction
from prm_kit.csv_upload import csv_records
from prm_kit.db.states import is_lost_race, is_number_out_of_range
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.sales import service as sales
from analytics.sales_imports.columns import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, invalid_fields, transaction_of
from analytics.sales_imports.schemas import (
    ImportChunk,
    ImportCounts,
    ImportLineError,
    ImportRefusal,
    SalesImportConflict,
    SalesImportRejected,
    SalesImportReport,
    SalesImportStopped,
)

CHUNK_LINES = 1000
MAX_REPORTED_ERRORS = 1000
MAX_REPORTED_CHUNKS = 1000  # a million lines; `chunk_count` counts them all

SessionFactory = Callable[[], AsyncSession]


class _Chunk:
    def __init__(self) -> None:
        self.lines: list[SalesTransaction] = []
        self.line_numbers: dict[str, int] = {}  # external_id -> line; unique within a chunk

    def add(self, line_number: int, line: SalesTransaction) -> None:
        self.lines.append(line)
        self.line_numbers[line.external_id] = line_number


class _Tally:
    """The report as it grows: counts always, chunks and errors up to their caps."""

    def __init__(self, import_id: str, partner_id: UUID) -> None:
        self.import_id, self.partner_id = import_id, partner_id
        self.counts = ImportCounts(records=0, accepted=0, duplicate=0, rejected=0, invalid=0)
        self.chunks: list[ImportChunk] = []
        self.chunk_count = 0
        self.errors: list[ImportLineError] = []
        self.refused = 0
        self.committed_through_line = 0

    def refuse(
        self,
        line: int,
        external_id: str | None,
        reason: ImportRefusal,
        detail: str,
        column: str | None = None,
    ) -> None:
        self.refused += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(
                ImportLineError(
                    line=line, external_id=external_id, column=column, reason=reason, detail=detail
                )
            )

    def report(self, *, complete: bool) -> SalesImportReport:
        return SalesImportReport(
            import_id=self.import_id,
            partner_id=self.partner_id,
            complete=complete,
            committed_through_line=self.committed_through_line,
            counts=self.counts,
            chunk_count=self.chunk_count,
            chunks=self.chunks,
            errors=sorted(self.errors, key=lambda error: error.line),
            errors_truncated=self.refused > len(self.errors),
        )


async def import_sales(
    sessions: SessionFactory,
    body: AsyncIterable[bytes],
    *,
    partner_id: UUID,
    import_id: str,
    now: datetime,
    chunk_lines: int = CHUNK_LINES,
) -> SalesImportReport:
    """Read `body` (a CSV file) and store its lines for `partner_id`, chunk by chunk (see the module)."""
    tally = _Tally(import_id, partner_id)
    chunk = _Chunk()
    last_line = 0
    try:
        async for record in csv_records(
            body, columns=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS, bad_records="report"
        ):
            tally.counts.records += 1
            if record.problem is not None:
                tally.counts.invalid += 1
                tally.refuse(record.line, None, ImportRefusal.malformed_record, record.problem)
                last_line = record.line
                continue
            try:
                line = transaction_of(record.values)
            except ValidationError as exc:
                column, detail = invalid_fields(exc)
                tally.counts.invalid += 1
                written_id = record.values.get("external_id") or None
                tally.refuse(record.line, written_id, ImportRefusal.invalid, detail, column)
                last_line = record.line
                continue
            if line.external_id in chunk.line_numbers or len(chunk.lines) >= chunk_lines:
                await _commit(sessions, chunk, tally, through_line=last_line, now=now)
                chunk = _Chunk()
            chunk.add(record.line, line)
            last_line = record.line
        if chunk.lines:
            await _commit(sessions, chunk, tally, through_line=last_line, now=now)
        tally.committed_through_line = last_line
    except (UnprocessableContent, SalesImportConflict) as error:
        if tally.chunk_count == 0 or isinstance(error, SalesImportConflict):
            raise  # nothing stored yet (a bad header, an early break), or already carrying its report
        raise SalesImportStopped(
            f"{error.detail}; the {tally.chunk_count} chunk(s) committed before it stay stored (every line "
            f"up to line {tally.committed_through_line}); correct the file and upload it whole again: stored "
            "lines are duplicates",
            errors=error.errors,
            report=tally.report(complete=False).model_dump(mode="json"),
        ) from error
    if tally.counts.records == 0:
        raise UnprocessableContent("nothing was stored: the file has a header but no sales lines")
    if tally.counts.accepted == 0 and tally.counts.duplicate == 0:
        raise SalesImportRejected(
            f"none of the {tally.counts.records} lines could be stored ({tally.refused} refused); nothing was "
            "stored: see `report.errors` for each line's reason",
            report=tally.report(complete=True).model_dump(mode="json"),
        )
    return tally.report(complete=True)


async def _commit(
    sessions: SessionFactory, chunk: _Chunk, tally: _Tally, *, through_line: int, now: datetime
) -> None:
    """Store one chunk in its own transaction; a race with a concurrent writer is judged once more."""
    number = tally.chunk_count + 1
    batch_id = f"import:{tally.import_id}:{number}"
    message = SalesReportedMessage.model_construct(
        type="sales.reported",
        timestamp=None,
        data=SalesReportedData.model_construct(transactions=chunk.lines),
    )
    for attempt in range(2):
        async with sessions() as session:
            try:
                answer = await sales.record_sales_batch(
                    session, message, partner_id=tally.partner_id, batch_id=batch_id, now=now
                )
                await session.commit()
                break
            except (IntegrityError, DBAPIError) as exc:
                await session.rollback()
                if is_number_out_of_range(exc):
                    detail = (
                        f"lines {min(chunk.line_numbers.values())}-{through_line} would take a stored total (a "
                        "day's, month's or customer's sales) past what is kept exactly"
                    )
                    raise UnprocessableContent(
                        detail, errors=[ValidationIssue(loc=["body"], msg=detail, type="number_out_of_range")]
                    ) from exc
                if not is_lost_race(exc):
                    raise
                if attempt == 1:
                    raise SalesImportConflict(
                        f"a concurrent delivery or import stored the same lines as chunk {number} meanwhile; "
                        f"it was not stored, the {tally.chunk_count} before it were: upload the file again",
                        headers={"Retry-After": "1"},
                        report=tally.report(complete=False).model_dump(mode="json"),
                    ) from exc
    tally.chunk_count = number
    tally.committed_through_line = through_line
    tally.counts.accepted += answer.counts.accepted
    tally.counts.duplicate += answer.counts.duplicate
    tally.counts.rejected += answer.counts.rejected
    for rejection in answer.rejected:
        tally.refuse(
            chunk.line_numbers[rejection.external_id],
            rejection.external_id,
            ImportRefusal(rejection.reason.value),
            rejection.detail,
        )
    if len(tally.chunks) < MAX_REPORTED_CHUNKS:
        tally.chunks.append(
            ImportChunk(
                number=number,
                first_line=min(chunk.line_numbers.values()),
                last_line=through_line,
                batch_id=batch_id,
                accepted=answer.counts.accepted,
                duplicate=answer.counts.duplicate,
                rejected=answer.counts.rejected,
            )
        )

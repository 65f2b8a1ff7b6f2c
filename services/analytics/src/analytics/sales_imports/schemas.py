"""The answer to a CSV import of sales lines, and the problems that end one."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from prm_contracts.problem import Conflict, UnprocessableContent
from pydantic import BaseModel, Field


class ImportRefusal(StrEnum):
    malformed_record = "malformed_record"
    invalid = "invalid"
    content_differs = "content_differs"
    original_not_found = "original_not_found"


class ImportLineError(BaseModel):
    line: int = Field(description="The line the record starts on; the header is line 1.")
    external_id: str | None = Field(description="As written in the record, when it has one.")
    column: str | None = Field(description="The first column at fault, when one is.")
    reason: ImportRefusal
    detail: str


class ImportChunk(BaseModel):
    """One transaction of the import: its lines were committed together (or not at all)."""

    number: int
    first_line: int
    last_line: int
    batch_id: str = Field(
        description="Stored as the lines' `webhook_id` and sent in `sales.recorded`.",
        examples=["import:0190a7c2e4b97d3f8a5e6b1c2d3e4f50:1"],
    )
    accepted: int
    duplicate: int
    rejected: int


class ImportCounts(BaseModel):
    records: int = Field(description="Records read after the header (blank lines are not records).")
    accepted: int = Field(description="Lines stored by this import.")
    duplicate: int = Field(
        description="Lines already stored with the same content (earlier upload, webhook)."
    )
    rejected: int = Field(description="Valid lines not stored: `content_differs` or `original_not_found`.")
    invalid: int = Field(description="Records not stored because they are not valid lines.")


class SalesImportReport(BaseModel):
    """What an import stored: counts, each committed chunk, and the refused lines (the first 1,000)."""

    import_id: str = Field(examples=["0190a7c2e4b97d3f8a5e6b1c2d3e4f50"])
    partner_id: UUID
    complete: bool = Field(description="The whole file was read (false in a `sales-import-stopped` problem).")
    committed_through_line: int = Field(
        description="Every record up to this line was judged and its chunk committed (0: none)."
    )
    counts: ImportCounts
    chunk_count: int = Field(description="Chunks committed.")
    chunks: list[ImportChunk] = Field(description="The committed chunks, in order (the first 1,000).")
    errors: list[ImportLineError] = Field(description="Refused lines, in file order (the first 1,000).")
    errors_truncated: bool = Field(description="More lines were refused than `errors` lists.")


class SalesImportRejected(UnprocessableContent):
    """No line of the file could be stored (none accepted, none already stored): nothing was stored. The
    problem carries the report as its `report` member."""

    slug, title = "sales-import-rejected", "No line of the import could be stored"
    members: ClassVar[dict[str, str]] = {
        "report": "The import's report (`SalesImportReport`): every refused line."
    }


class SalesImportStopped(UnprocessableContent):
    """The file broke off (text not UTF-8, a quoted field never closed, a record too long) after some chunks
    were committed: those stay stored, nothing after `report.committed_through_line` is. Uploading the whole
    corrected file again is safe: lines already stored are duplicates."""

    slug, title = "sales-import-stopped", "The import stopped part way"
    members: ClassVar[dict[str, str]] = {
        "report": "What was committed before the problem (`SalesImportReport`, `complete` false)."
    }


class SalesImportConflict(Conflict):
    """A concurrent delivery or import kept storing the same external ids as a chunk; committed chunks stay
    stored. Upload the file again: what is stored is a duplicate."""

    slug, title = "sales-import-conflict", "A concurrent write stored the same lines"
    members: ClassVar[dict[str, str]] = {"report": "What was committed before the conflict."}

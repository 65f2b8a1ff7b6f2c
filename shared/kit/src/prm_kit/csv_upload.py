"""Records of a CSV request body, read as it streams in: constant memory whatever the file's size.

Every CSV upload of every service reads the same way: UTF-8 (a leading BOM is skipped), a header line
naming the columns, `\n` or `\r\n` line ends, RFC 4180 quoting (a quoted field may hold a line break). Each
record comes with the number of the line it starts on (the header is line 1), so a report can point at it.

A record holding a control character (C0 but tab, LF and CR; DEL; C1) is refused as the same text in a JSON
body is (`prm_kit.text_guard`): PostgreSQL cannot store NUL, and the rest are terminal and CSV injection.

Memory stays bounded by `max_record_chars` (one record, or a run of text without a line break, longer than
that is refused), so a stray quote or a file without line ends cannot make the reader hold the whole body.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import AsyncIterable, AsyncIterator, Collection
from dataclasses import dataclass
from typing import Literal

from prm_contracts.problem import AppError, UnprocessableContent, ValidationIssue
from starlette.requests import Request

from prm_kit.text_guard import control_character_in_text, control_character_refused

MAX_RECORD_CHARS = 1024 * 1024
CSV_MEDIA_TYPES = frozenset({"text/csv", "application/csv"})


class UnsupportedMediaType(AppError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


def csv_body(request: Request) -> AsyncIterator[bytes]:
    """The request's body as it streams in; 415 unless it is sent as `text/csv` (or `application/csv`)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_MEDIA_TYPES:
        raise UnsupportedMediaType(f"send the file as text/csv, not {media_type or 'without a content type'}")
    return request.stream()


@dataclass(frozen=True)
class CsvRecord:
    """A record's values by column; with `bad_records="report"`, a malformed record comes with `problem` set
    (and no values) instead of ending the file."""

    line: int
    values: dict[str, str]
    problem: str | None = None


def csv_refusal(line: int, msg: str) -> UnprocessableContent:
    """422 naming the line (`errors[].loc` = ["body", line])."""
    return UnprocessableContent(
        f"line {line}: {msg}", errors=[ValidationIssue(loc=["body", line], msg=msg, type="csv_invalid")]
    )


async def _physical_records(chunks: AsyncIterable[bytes], max_record: int) -> AsyncIterator[tuple[int, str]]:
    """(first line number, text) of each CSV record: lines joined while a quoted field is still open."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    pending, line_number, record_start, record = "", 0, 1, ""
    try:
        async for chunk in chunks:
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            for text in complete:
                line_number += 1
                if not record:
                    record_start = line_number
                record += text + "\n"
                if record.count('"') % 2 == 0:  # quotes come in pairs ("" escapes one) once a record ends
                    yield record_start, record
                    record = ""
                elif len(record) > max_record:
                    raise _too_long(record_start, max_record)
            if len(pending) + len(record) > max_record:
                raise _too_long(record_start if record else line_number + 1, max_record)
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        # the bad bytes may lie lines into the chunk being decoded: count the line breaks before them
        line = line_number + 1 + exc.object[: exc.start].count(b"\n")
        raise csv_refusal(line, "the file is not UTF-8 text") from exc
    if pending:
        line_number += 1
        if not record:
            record_start = line_number
        record += pending
    if record:
        if record.count('"') % 2:
            raise csv_refusal(record_start, "a quoted field is not closed")
        yield record_start, record


def _too_long(line: int, max_record: int) -> UnprocessableContent:
    return csv_refusal(
        line, f"a record longer than {max_record} characters (a quoted field not closed, or no line breaks?)"
    )


async def csv_records(
    chunks: AsyncIterable[bytes],
    *,
    columns: Collection[str],
    optional: Collection[str] = (),
    bad_records: Literal["refuse", "report"] = "refuse",
    max_record_chars: int = MAX_RECORD_CHARS,
) -> AsyncIterator[CsvRecord]:
    """The records of a CSV body whose header names every one of `columns` (any order; `optional` ones may
    be missing; no others); blank lines are skipped. 422 for a bad header, text that is not UTF-8, a quoted
    field never closed, and a record with the wrong number of fields or a control character — unless
    `bad_records="report"`, where such a record is yielded with its `problem` and the file goes on."""
    header: list[str] | None = None
    async for line, text in _physical_records(chunks, max_record_chars):
        if not text.strip():
            continue
        try:
            fields = next(csv.reader([text.rstrip("\r\n")], strict=True), [])
        except csv.Error as exc:
            if header is None or bad_records == "refuse":
                raise csv_refusal(line, f"not a CSV record ({exc})") from exc
            yield CsvRecord(line, {}, f"not a CSV record ({exc})")
            continue
        if header is None:
            header = _checked_header(line, fields, columns, optional)
            continue
        problem = _problem_of(text, fields, header)
        if problem is not None:
            if bad_records == "refuse":
                raise csv_refusal(line, problem)
            yield CsvRecord(line, {}, problem)
            continue
        yield CsvRecord(line, dict(zip(header, (value.strip() for value in fields), strict=True)))
    if header is None:
        raise csv_refusal(1, "the file is empty: it needs a header line and at least one record")


def _problem_of(text: str, fields: list[str], header: list[str]) -> str | None:
    """Why the record `text` (split into `fields`) is refused, or None."""
    if len(fields) != len(header):
        return f"expected {len(header)} fields as in the header, got {len(fields)}"
    found = control_character_in_text(text)  # the whole record at once: its line ends are allowed text
    return None if found is None else control_character_refused("a record", found)[0]


def _checked_header(
    line: int, fields: list[str], columns: Collection[str], optional: Collection[str]
) -> list[str]:
    header = [name.strip().lower() for name in fields]
    missing = [name for name in columns if name not in header]
    unknown = [name for name in header if name not in columns and name not in optional]
    if missing or unknown or len(set(header)) != len(header):
        allowed = ", ".join([*columns, *optional])
        raise csv_refusal(
            line,
            f"the header must name the columns {allowed} (each once); "
            + (f"missing {', '.join(missing)}" if missing else f"got {', '.join(header)}"),
        )
    return header

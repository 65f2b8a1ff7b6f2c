"""Records of a streamed CSV body: line numbers, quoting across chunks and lines, refusals, bounded memory."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prm_contracts.problem import UnprocessableContent
from prm_kit.csv_upload import csv_records

pytestmark = [pytest.mark.asyncio, pytest.mark.backend_independent]


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _records(data: bytes, size: int = 3) -> list[tuple[int, dict[str, str]]]:
    return [(r.line, r.values) async for r in csv_records(_chunks(data, size), columns=("a", "b"))]


async def test_records_carry_their_line_numbers_whatever_the_chunk_size() -> None:
    data = '\ufeffA,b\r\n1,x\n\n2,"y, z"\n3,"multi\nline"\n4,é'.encode()

    for size in (1, 2, 7, 1000):
        assert await _records(data, size) == [
            (2, {"a": "1", "b": "x"}),
            (4, {"a": "2", "b": "y, z"}),
            (5, {"a": "3", "b": "multi\nline"}),
            (7, {"a": "4", "b": "é"}),
        ]


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"", 1, "empty"),
        (b"a,c\n1,2\n", 1, "missing b"),
        (b"a,b,c\n1,2,3\n", 1, "got a, b, c"),
        (b"a,b\n1,2\n3\n", 3, "expected 2 fields"),
        (b'a,b\n1,"open\n', 2, "not closed"),
        (b"a,b\n1,\xff\n", 2, "not UTF-8"),
        # control characters, as in a JSON body: a CSV import once stored a customer named "A\0B"
        (b"a,b\n1,x\nA\x00B,2\n", 3, "the NUL character U+0000 (NUL)"),
        (b'a,b\n1,"bell\x07"\n', 2, "the control character U+0007 (BEL)"),
        (b"a,b\n1,del\x7f\n", 2, "U+007F (DEL)"),
        ("a,b\n1,next\u0085line\n".encode(), 2, "U+0085 (a C1 control)"),
    ],
)
async def test_a_malformed_file_is_refused_naming_the_line(data: bytes, line: int, words: str) -> None:
    with pytest.raises(UnprocessableContent) as refused:
        await _records(data)

    assert refused.value.errors is not None
    assert refused.value.errors[0].loc == ["body", line]
    assert words in str(refused.value.detail)


async def test_bytes_that_are_not_utf_8_are_refused_at_their_own_line_whatever_the_chunk_size() -> None:
    data = b"a,b\n" + b"1,x\n" * 1100 + b"2,\xff\xfe\n3,y\n"

    for size in (1, 5, 64 * 1024):
        with pytest.raises(UnprocessableContent) as refused:
            await _records(data, size)

        assert refused.value.errors is not None
        assert refused.value.errors[0].loc == ["body", 1102], size


async def test_in_report_mode_a_malformed_record_is_yielded_with_its_problem_and_the_file_goes_on() -> None:
    data = b"a,b\n1,x\n2\n3,y,z\n4,w\n"

    records = [
        (r.line, r.values, r.problem)
        async for r in csv_records(_chunks(data, 4), columns=("a", "b"), bad_records="report")
    ]

    assert records == [
        (2, {"a": "1", "b": "x"}, None),
        (3, {}, "expected 2 fields as in the header, got 1"),
        (4, {}, "expected 2 fields as in the header, got 3"),
        (5, {"a": "4", "b": "w"}, None),
    ]


async def test_in_report_mode_a_control_character_is_the_records_problem() -> None:
    data = b"a,b\n1,A\x00B\n2,\x1b[31mred\n3,ok\n"

    records = [
        (r.line, r.values, r.problem)
        async for r in csv_records(_chunks(data, 5), columns=("a", "b"), bad_records="report")
    ]

    assert [(line, values) for line, values, _ in records] == [(2, {}), (3, {}), (4, {"a": "3", "b": "ok"})]
    assert [problem for _, _, problem in records] == [
        "a record may not contain the NUL character U+0000 (NUL); only tab, line feed and carriage return "
        "are allowed",
        "a record may not contain the control character U+001B (ESC); only tab, line feed and carriage "
        "return are allowed",
        None,
    ]


async def test_tab_and_line_breaks_inside_a_field_are_text() -> None:
    assert await _records(b'a,b\r\n1,"tab\there"\r\n2,"two\r\nlines"\r\n') == [
        (2, {"a": "1", "b": "tab\there"}),
        (3, {"a": "2", "b": "two\r\nlines"}),
    ]


async def test_a_bad_header_is_refused_even_in_report_mode() -> None:
    with pytest.raises(UnprocessableContent):
        [r async for r in csv_records(_chunks(b"a\n1\n", 4), columns=("a", "b"), bad_records="report")]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        # a quote opened on line 3 and never closed: the reader stops at the cap instead of holding the rest
        (b'a,b\n1,x\n2,"' + b"y\n" * 200 + b"3,z\n", 3),
        # no line break at all after the header
        (b"a,b\n" + b"1" * 500, 2),
    ],
)
async def test_a_record_longer_than_the_cap_is_refused_naming_where_it_starts(data: bytes, line: int) -> None:
    with pytest.raises(UnprocessableContent) as refused:
        [r async for r in csv_records(_chunks(data, 16), columns=("a", "b"), max_record_chars=100)]

    assert refused.value.errors is not None
    assert refused.value.errors[0].loc == ["body", line]
    assert "longer than 100 characters" in str(refused.value.detail)

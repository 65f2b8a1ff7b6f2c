"""`prm import`: the file is streamed as text/csv to the gateway, and a refusal is reported line by line."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from prm_cli import errors, imports
from prm_cli.main import app
from rich.console import Console
from typer.testing import CliRunner

pytestmark = pytest.mark.backend_independent


@pytest.mark.asyncio
async def test_the_file_is_streamed_in_chunks_with_the_key_and_options(tmp_path: Path) -> None:
    file = tmp_path / "rates.csv"
    lines = ["base,quote,rate,effective_on"] + [f"EUR,USD,1.08,2026-01-{day:02d}" for day in range(1, 29)]
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: dict[str, object] = {}

    async def gateway(request: httpx.Request) -> httpx.Response:
        chunks = [chunk async for chunk in request.stream]  # type: ignore[union-attr]
        seen.update(
            path=request.url.path,
            query=dict(request.url.params),
            auth=request.headers["authorization"],
            content_type=request.headers["content-type"],
            body=b"".join(chunks),
            streamed=request.headers.get("transfer-encoding") == "chunked"
            and "content-length" not in request.headers,
        )
        return httpx.Response(200, json={"created": 28, "unchanged": 0, "corrected": 0})

    response = await imports.upload_csv(
        file,
        gateway_url="http://gateway",
        key="prm_test_key",
        path="/v1/fx-rates/imports",
        params={"frequency": "daily"},
        transport=httpx.MockTransport(gateway),
    )

    assert response.json()["created"] == 28
    assert seen["path"] == "/v1/fx-rates/imports"
    assert seen["query"] == {"frequency": "daily"}
    assert (seen["auth"], seen["content_type"]) == ("Bearer prm_test_key", "text/csv")
    assert seen["body"] == file.read_bytes()
    assert seen["streamed"]  # sent as it is read, never loaded whole


@pytest.mark.asyncio
async def test_the_file_is_read_piece_by_piece_and_progress_counts_every_byte(tmp_path: Path) -> None:
    file = tmp_path / "big.csv"
    file.write_bytes(b"x" * 1000)
    counted: list[int] = []

    original = imports.CHUNK_BYTES
    imports.CHUNK_BYTES = 300
    try:
        chunks = [chunk async for chunk in imports._file_chunks(file, counted.append)]
    finally:
        imports.CHUNK_BYTES = original

    assert [len(chunk) for chunk in chunks] == [300, 300, 300, 100]
    assert counted == [300, 300, 300, 100]


def test_a_refusal_is_reported_line_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(imports, "console", Console(file=out, width=200, highlight=False))
    problem = {
        "type": "/problems/validation-error",
        "title": "Request is not valid",
        "status": 422,
        "detail": "nothing was stored",
        "problem_count": 2,
        "errors": [
            {"loc": ["body", 3, "rate"], "msg": "line 3: rate must be greater than 0", "type": "x"},
            {"loc": ["body", 7, "effective_on"], "msg": "line 7: EUR/USD has a gap", "type": "fx_gap"},
        ],
    }

    imports.report_refusal(httpx.Response(422, content=json.dumps(problem).encode()))

    text = out.getvalue()
    assert "Request is not valid (422). Nothing was stored." in text
    assert "│ 3    │ rate" in text
    assert "│ 7    │ effective_on │ line 7: EUR/USD has a gap" in text


def test_import_sales_streams_the_file_with_the_partner_and_prints_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "sales.csv"
    file.write_text("external_id,kind\nS-1,sale\n", encoding="utf-8")
    out = io.StringIO()
    monkeypatch.setattr(imports, "console", Console(file=out, width=200, highlight=False))
    sent: dict[str, Any] = {}
    report = {
        "counts": {"records": 3, "accepted": 1, "duplicate": 1, "rejected": 0, "invalid": 1},
        "chunk_count": 1,
        "committed_through_line": 4,
        "errors": [
            {
                "line": 3,
                "external_id": "S-2",
                "column": "amount",
                "reason": "invalid",
                "detail": "amount: bad",
            }
        ],
    }

    async def fake_upload(path_file: Path, **options: Any) -> httpx.Response:
        sent.update(options, file=path_file)
        return httpx.Response(200, json=report)

    monkeypatch.setattr(imports, "upload_csv", fake_upload)

    result = CliRunner().invoke(app, ["import", "sales", str(file), "--partner", "p-1", "--key", "k"])

    assert result.exit_code == 0, result.output
    assert (sent["file"], sent["path"], sent["params"], sent["key"]) == (
        file,
        "/v1/sales/imports",
        {"partner_id": "p-1"},
        "k",
    )
    text = out.getvalue()
    assert "3 record(s): 1 stored, 1 already stored, 0 rejected, 1 invalid; 1 chunk(s) committed" in text
    assert "│ 3    │ S-2         │ amount │ invalid │ amount: bad" in text


def test_import_sales_prints_the_report_a_refusal_carries_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "sales.csv"
    file.write_text("x\n", encoding="utf-8")
    out = io.StringIO()
    monkeypatch.setattr(imports, "console", Console(file=out, width=200, highlight=False))
    problem = {
        "type": "/problems/sales-import-rejected",
        "status": 422,
        "detail": "none of the 1 lines could be stored",
        "report": {
            "counts": {"records": 1, "accepted": 0, "duplicate": 0, "rejected": 0, "invalid": 1},
            "chunk_count": 0,
            "committed_through_line": 0,
            "errors": [
                {"line": 2, "external_id": None, "column": None, "reason": "malformed_record", "detail": "x"}
            ],
        },
    }

    async def fake_upload(_file: Path, **_options: Any) -> httpx.Response:
        return httpx.Response(422, json=problem)

    monkeypatch.setattr(imports, "upload_csv", fake_upload)

    result = CliRunner().invoke(app, ["import", "sales", str(file), "--partner", "p-1", "--key", "k"])

    assert result.exit_code == 1
    assert "none of the 1 lines could be stored" in out.getvalue()
    assert "malformed_record" in out.getvalue()


@pytest.mark.asyncio
async def test_an_upload_the_gateway_refused_before_reading_it_reports_that_refusal(tmp_path: Path) -> None:
    """A wrong key or an unknown partner is refused before the file is read, and the connection closes while
    the file is still being sent: the empty-file request that follows gets the refusal to report."""
    file = tmp_path / "sales.csv"
    file.write_text("external_id,kind\nS-1,sale\n", encoding="utf-8")
    sent: list[bytes] = []

    async def gateway(request: httpx.Request) -> httpx.Response:
        body = b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]
        sent.append(body)
        if body:
            raise httpx.WriteError("")  # the connection closed under the upload: no answer to read
        problem = {
            "type": "/problems/not-found",
            "status": 404,
            "title": "Not found",
            "detail": "no partner p-1",
        }
        return httpx.Response(404, json=problem)

    response = await imports.upload_csv(
        file,
        gateway_url="http://gateway",
        key="k",
        path="/v1/sales/imports",
        params={"partner_id": "p-1"},
        transport=httpx.MockTransport(gateway),
    )

    assert response.status_code == 404
    assert response.json()["detail"] == "no partner p-1"
    assert sent == [file.read_bytes(), b""]


@pytest.mark.asyncio
async def test_an_upload_that_broke_off_for_another_reason_is_that_error(tmp_path: Path) -> None:
    file = tmp_path / "sales.csv"
    file.write_text("external_id,kind\nS-1,sale\n", encoding="utf-8")

    async def gateway(request: httpx.Request) -> httpx.Response:
        body = b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]
        if body:
            raise httpx.WriteError("")
        return httpx.Response(422, json={"status": 422, "detail": "the file is empty"})

    with pytest.raises(httpx.WriteError):
        await imports.upload_csv(
            file,
            gateway_url="http://gateway",
            key="k",
            path="/v1/sales/imports",
            params={"partner_id": "p-1"},
            transport=httpx.MockTransport(gateway),
        )


def test_an_error_without_a_message_is_reported_by_its_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(errors, "console", Console(file=out, width=200, highlight=False))

    errors.report_transport_error(httpx.RemoteProtocolError(""))

    assert "Calling the gateway failed: RemoteProtocolError" in out.getvalue()


def test_without_a_key_and_away_from_a_local_gateway_database_it_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "sales.csv"
    file.write_text("external_id,kind\nS-1,sale\n", encoding="utf-8")
    out = io.StringIO()
    monkeypatch.setattr(errors, "console", Console(file=out, width=300, highlight=False))
    monkeypatch.delenv("PRM_API_KEY", raising=False)
    monkeypatch.delenv("PRM_GATEWAY_DATABASE_URL", raising=False)
    monkeypatch.delenv("PRM_DATABASE_URL", raising=False)
    monkeypatch.setenv("PRM_DATA_DIR", str(tmp_path / "elsewhere"))

    result = CliRunner().invoke(app, ["import", "sales", str(file), "--partner", "p-1"])

    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    text = out.getvalue()
    assert "no --key given" in text
    assert str(tmp_path / "elsewhere") in text

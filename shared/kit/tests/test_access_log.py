"""One JSON access line per request, with the request id, written in batches; nothing a client sent can act on
the terminal that shows it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from prm_kit.access_log import AccessLog
from prm_kit.testing import TEST_SECRET, rolled_back_app

from .kit_service import kit_service_app

router = APIRouter()


@router.get("/v1/echo")
async def echo(x: str | None = None) -> dict[str, str]:
    return {"ok": "yes"}


def _lines(out: str, request_id: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if f'"{request_id}"' in line]


@pytest.mark.asyncio
async def test_a_service_writes_one_json_line_per_request(
    kit_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = kit_service_app(
        router,
        internal_secret=TEST_SECRET,
        database_url=kit_database_url,
        data_dir=tmp_path,
        access_log=True,
        log_format="json",
        log_level="INFO",
    )
    async with rolled_back_app(app, kit_database_url) as (client, _):
        await client.get("/v1/echo?x=1", headers={"X-Request-ID": "logged-1"})
        app.state.access_log.flush()

    (line,) = _lines(capsys.readouterr().out, "logged-1")
    assert {k: v for k, v in line.items() if k not in {"timestamp", "duration_ms"}} == {
        "event": "request",
        "level": "info",
        "service": "kittest",
        "method": "GET",
        "path": "/v1/echo",
        "status": 200,
        "request_id": "logged-1",
    }
    assert line["timestamp"].endswith("Z")
    assert line["duration_ms"] >= 0


def test_control_characters_in_a_path_are_written_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    log = AccessLog(service="kittest", json_lines=True)
    hostile = "/v1/\x1b[31mred\x9b\x00"

    log.request(method="GET", path=hostile, status=422, duration_ms=0.1, request_id="hostile-1")
    log.flush()

    out = capsys.readouterr().out
    assert out.count("\n") == 1
    for raw in ("\x1b", "\x9b", "\x00"):
        assert raw not in out
    (line,) = _lines(out, "hostile-1")
    assert line["path"] == hostile  # escaped in JSON, exact once read
    assert line["timestamp"].endswith("Z")


def test_no_access_log_when_it_is_off_or_info_is_not_logged() -> None:
    assert AccessLog.configured(service="s", enabled=False, log_level="INFO", log_format="json") is None
    assert AccessLog.configured(service="s", enabled=True, log_level="WARNING", log_format="json") is None
    assert AccessLog.configured(service="s", enabled=True, log_level="DEBUG", log_format="json") is not None

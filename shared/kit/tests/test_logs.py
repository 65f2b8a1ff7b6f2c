"""Logs cannot act on an operator's terminal: control characters a client sent are written escaped."""

from __future__ import annotations

import json

import pytest
from prm_kit.logs import configure_logging, get_logger

HOSTILE = "/v1/partners/\x1b[31mred\x1b[0m\x00\x08\r\nforged line\x9b"


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_control_characters_in_logged_values_are_escaped(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("logtest", "INFO", fmt)

    get_logger("test").info("request", path=HOSTILE)

    line = capsys.readouterr().out
    assert line.count("\n") == 1  # one event, one line: no forged second line
    for raw in ("\x1b", "\x00", "\x08", "\r", "\x9b"):
        assert raw not in line
    if fmt == "json":
        assert json.loads(line)["path"] == HOSTILE  # JSON escapes them itself and keeps the value exact
    else:
        # written as the escapes an operator can read (the renderer may quote the value and double them)
        assert "x1b[31mred" in line
        assert "x0aforged line" in line


def test_a_traceback_keeps_its_lines_in_the_console_format(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("logtest", "INFO", "console")

    try:
        raise ValueError("bad \x1b value")
    except ValueError:
        get_logger("test").exception("failed")

    out = capsys.readouterr().out
    assert "Traceback (most recent call last):\n" in out
    assert "\x1b" not in out
    assert "bad \\x1b value" in out

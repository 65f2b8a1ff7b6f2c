"""`prm openapi`: the merged document written stably, and `--check` telling when a file is stale."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import prm_cli.openapi
import pytest
from click.testing import Result

pytestmark = pytest.mark.backend_independent

PrmRunner = Callable[..., Result]


@pytest.fixture(autouse=True)
def built_once(monkeypatch: pytest.MonkeyPatch, merged_openapi: Callable[[], dict[str, Any]]) -> None:
    """The command's document comes from the session's one build: what is tested here is how the command
    writes and checks it, not the build (tests/test_openapi_committed.py and cli/tests/test_openapi_merge.py)."""
    monkeypatch.setattr(prm_cli.openapi, "build_merged_openapi", merged_openapi)


def test_writes_the_merged_document_sorted_with_a_final_newline(prm: PrmRunner, tmp_path: Path) -> None:
    output = tmp_path / "openapi" / "prm.json"

    result = prm("openapi", "--output", str(output))

    assert result.exit_code == 0, result.output
    text = output.read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["openapi"].startswith("3.")
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_check_passes_on_a_current_file_and_fails_on_a_stale_one(prm: PrmRunner, tmp_path: Path) -> None:
    output = tmp_path / "prm.json"
    assert prm("openapi", "--output", str(output)).exit_code == 0

    assert prm("openapi", "--output", str(output), "--check").exit_code == 0

    document = json.loads(output.read_text(encoding="utf-8"))
    document["info"]["title"] = "something else"
    output.write_text(json.dumps(document), encoding="utf-8")
    stale = prm("openapi", "--output", str(output), "--check")
    assert stale.exit_code == 1
    assert "make openapi" in stale.output


def test_check_fails_when_the_file_is_missing(prm: PrmRunner, tmp_path: Path) -> None:
    result = prm("openapi", "--output", str(tmp_path / "missing.json"), "--check")

    assert result.exit_code == 1

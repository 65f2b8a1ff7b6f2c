"""`prm openapi`: the merged OpenAPI document, written in a stable form so diffs stay readable; the gateway
serves the file it writes (`openapi/prm.json`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prm_cli.openapi_merge import build_merged_openapi

DEFAULT_OUTPUT = Path("openapi/prm.json")


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def merged_document() -> str:
    """The merged document built in-process (no service needs to run)."""
    return render(build_merged_openapi())


def write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(merged_document(), encoding="utf-8")


def is_current(path: Path) -> bool:
    return path.exists() and path.read_text(encoding="utf-8") == merged_document()

"""Where Python may write no bytecode, `prm up` gives its processes a bytecode cache in the data folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from prm_cli.config import CliSettings
from prm_cli.up import child_environment

URLS = {name: "http://127.0.0.1:9" for name in ("registry", "scoring", "incentives", "analytics", "gateway")}


def environment_for(inherited: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return child_environment(inherited, CliSettings(data_dir=tmp_path), "s" * 40, URLS)


def test_without_any_bytecode_the_processes_cache_it_in_the_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(importlib.util, "cache_from_source", lambda _source: str(tmp_path / "missing.pyc"))

    environment = environment_for({"PYTHONDONTWRITEBYTECODE": "1"}, tmp_path)

    assert "PYTHONDONTWRITEBYTECODE" not in environment
    assert environment["PYTHONPYCACHEPREFIX"] == str(tmp_path / "pycache")


def test_installed_bytecode_or_a_chosen_cache_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    compiled = tmp_path / "httpx.pyc"
    compiled.touch()
    monkeypatch.setattr(importlib.util, "cache_from_source", lambda _source: str(compiled))

    installed = environment_for({"PYTHONDONTWRITEBYTECODE": "1"}, tmp_path)
    chosen = environment_for(
        {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/var/cache/py"}, tmp_path
    )
    default = environment_for({}, tmp_path)

    assert installed["PYTHONDONTWRITEBYTECODE"] == "1"
    assert "PYTHONPYCACHEPREFIX" not in installed
    assert chosen["PYTHONPYCACHEPREFIX"] == "/var/cache/py"
    assert "PYTHONPYCACHEPREFIX" not in default

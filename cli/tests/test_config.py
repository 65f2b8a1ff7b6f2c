"""The internal secret `prm` shares with the processes it starts: generated once per data folder, or given."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from prm_cli.config import SECRET_FILE, CliSettings, internal_secret, service_settings
from prm_cli.services import BACKENDS, GATEWAY


@pytest.fixture(autouse=True)
def no_secret_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRM_INTERNAL_SECRET", raising=False)


def test_a_secret_is_generated_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    settings = CliSettings(data_dir=tmp_path / "data")

    first = internal_secret(settings)
    second = internal_secret(settings)

    assert first == second
    assert len(first) >= 32
    path = tmp_path / "data" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_prm_internal_secret_wins_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRM_INTERNAL_SECRET", "x" * 40)
    settings = CliSettings(data_dir=tmp_path)

    assert internal_secret(settings) == "x" * 40
    assert not (tmp_path / SECRET_FILE).exists()


def test_each_service_gets_the_data_folder_and_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PRM_DATABASE_URL", "PRM_REGISTRY_DATABASE_URL", "PRM_GATEWAY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = CliSettings(data_dir=tmp_path)

    registry = service_settings(BACKENDS[0], settings)
    gateway = service_settings(GATEWAY, settings)

    assert registry.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"
    assert gateway.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    assert registry.internal_secret == gateway.internal_secret

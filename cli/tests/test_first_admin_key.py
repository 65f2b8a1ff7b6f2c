"""The first admin key `prm up` creates is kept in a private file from the moment it exists."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from gateway.api_keys import service
from prm_cli import keys
from prm_cli.config import CliSettings
from prm_kit.testing import run_blocking

PrmRunner = Callable[..., Result]


@pytest.fixture
def settings(
    monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str | None], gateway_database: str
) -> CliSettings:
    for name, value in {**clean_env, "PRM_GATEWAY_DATABASE_URL": gateway_database}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return CliSettings()


async def authenticates(settings: CliSettings, plaintext: str) -> bool:
    async with keys.gateway_session(settings) as session:
        return await service.verified_key(session, plaintext) is not None


def test_the_first_admin_key_is_in_a_private_file_as_soon_as_it_exists(settings: CliSettings) -> None:
    plaintext = run_blocking(keys.first_admin_key(settings))

    assert plaintext is not None
    path = settings.data_path / "first-admin-key.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8") == plaintext + "\n"
    assert run_blocking(authenticates(settings, plaintext))


def test_a_later_start_shows_the_kept_key_again_instead_of_making_one(settings: CliSettings) -> None:
    plaintext = run_blocking(keys.first_admin_key(settings))

    assert run_blocking(keys.first_admin_key(settings)) is None  # a key exists: none is made
    assert run_blocking(keys.remembered_first_admin_key(settings)) == plaintext


def test_forget_first_deletes_the_file_and_the_key_keeps_working(
    settings: CliSettings, prm: PrmRunner, gateway_database: str
) -> None:
    plaintext = run_blocking(keys.first_admin_key(settings))
    assert plaintext is not None

    forgotten = prm("keys", "forget-first", PRM_GATEWAY_DATABASE_URL=gateway_database)
    again = prm("keys", "forget-first", PRM_GATEWAY_DATABASE_URL=gateway_database)

    assert forgotten.exit_code == 0, forgotten.output
    assert "first-admin-key.txt" in forgotten.output
    assert "nothing to delete" in again.output
    assert not (settings.data_path / "first-admin-key.txt").exists()
    assert run_blocking(keys.remembered_first_admin_key(settings)) is None
    assert run_blocking(authenticates(settings, plaintext))


def test_the_kept_file_goes_once_its_key_is_revoked(settings: CliSettings) -> None:
    plaintext = run_blocking(keys.first_admin_key(settings))
    (admin,) = run_blocking(keys.list_all(settings))
    run_blocking(keys.revoke(settings, admin.id))

    assert run_blocking(keys.remembered_first_admin_key(settings)) is None
    assert plaintext is not None
    assert not (settings.data_path / "first-admin-key.txt").exists()


def test_a_stale_loose_file_is_replaced_by_a_private_one(settings: CliSettings) -> None:
    path: Path = settings.data_path / "first-admin-key.txt"
    path.parent.mkdir(parents=True)
    path.write_text("prm_old_revoked\n", encoding="utf-8")
    path.chmod(0o644)

    plaintext = run_blocking(keys.first_admin_key(settings))

    assert path.read_text(encoding="utf-8") == f"{plaintext}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

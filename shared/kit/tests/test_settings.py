"""Settings come from `PRM_*` environment variables and fail fast, with a clear reason, when wrong."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import pytest
from prm_kit.settings import BaseServiceSettings, database_url_field
from prm_kit.testing import TEST_SECRET
from pydantic import ValidationError


class KitSettings(BaseServiceSettings):
    service_name: ClassVar[str] = "kittest"

    database_url: str | None = database_url_field("KITTEST")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Only what a test sets: no PRM_* variable of the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.upper().startswith("PRM_") and not name.upper().startswith("PRM_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PRM_INTERNAL_SECRET", TEST_SECRET)
    return monkeypatch


def test_values_are_read_from_prm_variables(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("PRM_LOG_LEVEL", "debug")
    clean_environment.setenv("PRM_LOG_FORMAT", "console")
    clean_environment.setenv("PRM_DB_POOL_SIZE", "25")
    clean_environment.setenv("PRM_HTTP_TIMEOUT_SECONDS", "2.5")
    clean_environment.setenv("PRM_ACCESS_LOG", "false")
    clean_environment.setenv("PRM_SCORING_URL", "http://scoring.internal:9000")

    settings = KitSettings()

    assert settings.internal_secret.get_secret_value() == TEST_SECRET
    assert settings.log_level == "DEBUG"
    assert settings.log_format == "console"
    assert settings.db_pool_size == 25
    assert settings.http_timeout_seconds == 2.5
    assert settings.access_log is False
    assert settings.scoring_url == "http://scoring.internal:9000"


def test_variables_without_the_prefix_are_ignored(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("LOG_LEVEL", "ERROR")
    clean_environment.setenv("DB_POOL_SIZE", "99")

    settings = KitSettings()

    assert settings.log_level == "INFO"
    assert settings.db_pool_size == 10


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PRM_LOG_LEVEL", "LOUD"),
        ("PRM_DB_POOL_SIZE", "0"),
        ("PRM_DB_POOL_SIZE", "many"),
        ("PRM_HTTP_TIMEOUT_SECONDS", "-1"),
    ],
)
def test_a_wrong_value_fails_fast_naming_the_setting(
    clean_environment: pytest.MonkeyPatch, name: str, value: str
) -> None:
    clean_environment.setenv(name, value)

    with pytest.raises(ValidationError) as caught:
        KitSettings()

    assert name.removeprefix("PRM_").lower() in str(caught.value)


def test_the_service_specific_database_url_beats_the_shared_one(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("PRM_DATABASE_URL", "postgresql+asyncpg://db/shared")
    clean_environment.setenv("PRM_KITTEST_DATABASE_URL", "postgresql+asyncpg://db/own")

    assert KitSettings().effective_database_url == "postgresql+asyncpg://db/own"


def test_the_shared_database_url_is_used_when_no_service_specific_one_is_set(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("PRM_DATABASE_URL", "postgresql+asyncpg://db/shared")
    clean_environment.setenv("PRM_OTHERSERVICE_DATABASE_URL", "postgresql+asyncpg://db/not-mine")

    assert KitSettings().effective_database_url == "postgresql+asyncpg://db/shared"


def test_the_service_name_fills_the_database_url_template(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("PRM_DATABASE_URL", "postgresql+asyncpg://prm@db:5432/prm_{service}")

    assert KitSettings().effective_database_url == "postgresql+asyncpg://prm@db:5432/prm_kittest"


def test_a_service_reads_its_own_variable_before_the_template(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("PRM_DATABASE_URL", "postgresql://db/prm_{service}")
    clean_environment.setenv("PRM_KITTEST_DATABASE_URL", "postgres://kittest-db/kit")

    assert KitSettings().effective_database_url == "postgresql+asyncpg://kittest-db/kit"
    clean_environment.delenv("PRM_KITTEST_DATABASE_URL")
    assert KitSettings().effective_database_url == "postgresql+asyncpg://db/prm_kittest"


@pytest.mark.parametrize(
    ("given", "effective"),
    [
        ("postgres://u:p@db:5432/prm", "postgresql+asyncpg://u:p@db:5432/prm"),
        ("postgresql://u:p@db:5432/prm", "postgresql+asyncpg://u:p@db:5432/prm"),
        ("postgresql+asyncpg://u@db/prm", "postgresql+asyncpg://u@db/prm"),
        ("sqlite:///var/prm/kittest.db", "sqlite+aiosqlite:///var/prm/kittest.db"),
        ("sqlite+aiosqlite:////abs/kittest.db", "sqlite+aiosqlite:////abs/kittest.db"),
    ],
)
def test_database_urls_are_rewritten_to_the_async_drivers(
    clean_environment: pytest.MonkeyPatch, given: str, effective: str
) -> None:
    clean_environment.setenv("PRM_DATABASE_URL", given)

    assert KitSettings().effective_database_url == effective


@pytest.mark.parametrize(
    "url",
    [
        "mysql://u@db/prm",
        "postgresql+psycopg://u@db/prm",
        "sqlite+pysqlite:///x.db",
        "http://db/prm",
        "db.example.com/prm",
    ],
)
def test_other_database_schemes_are_refused(clean_environment: pytest.MonkeyPatch, url: str) -> None:
    clean_environment.setenv("PRM_KITTEST_DATABASE_URL", url)

    with pytest.raises(ValidationError) as caught:
        KitSettings()

    assert "database_url must be a postgresql:// or sqlite:// URL" in str(caught.value)


def test_a_missing_internal_secret_fails_fast(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.delenv("PRM_INTERNAL_SECRET")

    with pytest.raises(ValidationError) as caught:
        KitSettings()

    [error] = caught.value.errors()
    assert error["loc"] == ("internal_secret",)
    assert error["type"] == "missing"


def test_a_short_internal_secret_fails_fast_saying_how_long_it_must_be(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("PRM_INTERNAL_SECRET", "x" * 31)

    with pytest.raises(ValidationError) as caught:
        KitSettings()

    [error] = caught.value.errors()
    assert error["loc"] == ("internal_secret",)
    assert "at least 32 characters" in error["msg"]
    assert "x" * 31 not in str(caught.value)  # the rejected secret is not echoed into logs


def test_without_a_database_url_the_service_uses_a_sqlite_file_under_the_data_dir(
    clean_environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_environment.setenv("PRM_DATA_DIR", str(tmp_path / "data"))

    settings = KitSettings()

    assert settings.data_dir == tmp_path / "data"
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'kittest.db'}"


def test_a_relative_data_dir_is_resolved_to_an_absolute_path(
    clean_environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_environment.chdir(tmp_path)

    url = KitSettings().effective_database_url

    assert url == f"sqlite+aiosqlite:///{tmp_path.resolve() / '.prm-data' / 'kittest.db'}"


def test_the_secret_is_never_shown_in_the_settings_repr() -> None:
    settings = KitSettings()

    assert TEST_SECRET not in repr(settings)
    assert TEST_SECRET not in str(settings.model_dump())

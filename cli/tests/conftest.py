"""Run `prm` in-process against a temporary data folder and fresh databases of the chosen backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from prm_cli.main import app
from prm_cli.services import GATEWAY
from prm_kit.testing import drop_database, fresh_database_url, migrate_fresh, run_blocking
from typer.testing import CliRunner


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str | None]:
    """A data folder of this test's own, and none of the caller's PRM_* database or secret settings."""
    return {
        "PRM_DATA_DIR": str(tmp_path / "data"),
        "PRM_INTERNAL_SECRET": None,
        "PRM_DATABASE_URL": None,
        **{
            f"PRM_{name.upper()}_DATABASE_URL": None
            for name in ("registry", "scoring", "incentives", "analytics")
        },
        "PRM_GATEWAY_DATABASE_URL": None,
    }


@pytest.fixture
def gateway_database(tmp_path: Path) -> Iterator[str]:
    """A fresh gateway database at head, dropped afterwards."""
    url = fresh_database_url("gateway", tmp_path)
    run_blocking(migrate_fresh(url, GATEWAY.migrations_dir()))
    yield url
    run_blocking(drop_database(url))


@pytest.fixture
def prm(clean_env: dict[str, str | None]) -> Callable[..., Result]:
    """`prm(*args, **env)` runs the CLI in-process and returns its result (output, exit code)."""

    def run(*args: str, **env: str | None) -> Result:
        return CliRunner(env={**clean_env, **env}).invoke(app, list(args))

    return run

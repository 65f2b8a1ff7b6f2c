"""`prm analytics partitions` (the maintenance itself is tested on PostgreSQL in analytics' tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prm_cli.main import app
from typer.testing import CliRunner

pytestmark = pytest.mark.backend_independent


def test_on_sqlite_it_says_there_is_nothing_to_do(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'analytics.db'}"

    result = CliRunner().invoke(
        app, ["analytics", "partitions", "--months-ahead", "2"], env={"PRM_ANALYTICS_DATABASE_URL": url}
    )

    assert result.exit_code == 0, result.output
    assert "plain table on SQLite" in result.output


def test_a_negative_window_is_refused() -> None:
    result = CliRunner().invoke(app, ["analytics", "partitions", "--months-ahead", "-1"])

    assert result.exit_code == 2


def test_on_sqlite_the_database_is_not_even_opened(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'mistyped' / 'analytics.db'}"

    result = CliRunner().invoke(app, ["analytics", "partitions"], env={"PRM_ANALYTICS_DATABASE_URL": url})

    assert result.exit_code == 0, result.output
    assert not (tmp_path / "mistyped").exists()


def test_a_database_that_cannot_be_used_is_one_line_not_a_traceback() -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/prm_analytics"  # nothing listens on port 1

    result = CliRunner().invoke(app, ["analytics", "partitions"], env={"PRM_ANALYTICS_DATABASE_URL": url})

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Cannot use the database" in result.output

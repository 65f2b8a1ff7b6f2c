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

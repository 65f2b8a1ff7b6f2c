"""`prm migrate`: every service's database created and brought to head, or just the one asked for."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from prm_cli import services
from prm_cli.migrations import safe_url
from prm_kit.testing import drop_database, fresh_database_url, run_blocking

PrmRunner = Callable[..., Result]


@pytest.fixture
def fresh_databases(tmp_path: Path) -> Iterator[dict[str, str]]:
    """PRM_<SERVICE>_DATABASE_URL for every service: new, empty databases of the backend under test."""
    urls = {service.name: fresh_database_url(service.name, tmp_path) for service in services.ALL}
    yield {f"PRM_{name.upper()}_DATABASE_URL": url for name, url in urls.items()}
    for url in urls.values():
        run_blocking(drop_database(url))


def test_migrates_every_service_to_head(prm: PrmRunner, fresh_databases: dict[str, str]) -> None:
    result = prm("migrate", **fresh_databases)

    assert result.exit_code == 0, result.output
    for service in services.ALL:
        assert re.search(rf"✓ {service.name}\s+at \S+", result.output), result.output


def test_migrating_twice_changes_nothing(prm: PrmRunner, fresh_databases: dict[str, str]) -> None:
    first = prm("migrate", **fresh_databases)

    second = prm("migrate", **fresh_databases)

    assert second.exit_code == 0, second.output
    assert second.output == first.output


def test_one_service_only(prm: PrmRunner, fresh_databases: dict[str, str]) -> None:
    result = prm("migrate", "--service", "scoring", **fresh_databases)

    assert result.exit_code == 0, result.output
    assert "scoring" in result.output
    assert "registry" not in result.output


def test_an_unknown_service_is_refused(prm: PrmRunner) -> None:
    result = prm("migrate", "--service", "billing")

    assert result.exit_code == 2
    assert "registry" in result.output


def test_printed_database_urls_hide_the_password() -> None:
    assert safe_url("postgresql+asyncpg://prm:s3cret@db:5432/prm_registry") == (
        "postgresql+asyncpg://prm:***@db:5432/prm_registry"
    )


def test_a_database_url_two_services_would_share_is_refused_before_anything_is_migrated(
    prm: PrmRunner, tmp_path: Path
) -> None:
    shared = f"sqlite+aiosqlite:///{tmp_path}/prm.db"  # no {service}: every service's database would be this

    result = prm("migrate", PRM_DATABASE_URL=shared)

    assert result.exit_code == 1
    assert "registry and scoring would share the database" in result.output
    assert "put {service} in PRM_DATABASE_URL" in result.output
    assert "✓" not in result.output
    assert not (tmp_path / "prm.db").exists()


def test_a_template_with_the_service_in_it_gives_each_its_own_database(
    prm: PrmRunner, tmp_path: Path
) -> None:
    result = prm("migrate", PRM_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/prm_{{service}}.db")

    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in tmp_path.glob("prm_*.db")) == sorted(
        f"prm_{service.name}.db" for service in services.ALL
    )

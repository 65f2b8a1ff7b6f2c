"""How `prm up` wires its processes together (the running whole is tested in tests/test_e2e_prm_up.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from prm_cli.config import CliSettings
from prm_cli.services import ports
from prm_cli.up import UpOptions, child_environment, child_specs, reachable_host

OPTIONS = UpOptions(host="127.0.0.1", gateway_port=9000, base_port=9101, start_timeout_seconds=5, demo=False)


def test_services_take_consecutive_ports_after_the_base_and_the_gateway_its_own() -> None:
    assert ports(9000, 9101) == {
        "registry": 9101,
        "scoring": 9102,
        "incentives": 9103,
        "analytics": 9104,
        "gateway": 9000,
    }


def test_children_find_each_other_and_share_the_secret_and_data_folder(tmp_path: Path) -> None:
    settings = CliSettings(data_dir=tmp_path)
    inherited = {"PRM_DATABASE_URL": "postgresql://postgres@db/prm_{service}", "PATH": "/usr/bin"}

    environment = child_environment(
        inherited,
        settings,
        "s" * 40,
        {
            "registry": "http://127.0.0.1:9101",
            "scoring": "http://127.0.0.1:9102",
            "incentives": "http://127.0.0.1:9103",
            "analytics": "http://127.0.0.1:9104",
            "gateway": "http://127.0.0.1:9000",
        },
    )

    assert environment["PRM_INTERNAL_SECRET"] == "s" * 40
    assert environment["PRM_DATA_DIR"] == str(tmp_path)
    assert environment["PRM_REGISTRY_URL"] == "http://127.0.0.1:9101"
    assert environment["PRM_ANALYTICS_URL"] == "http://127.0.0.1:9104"
    assert environment["PRM_DATABASE_URL"] == "postgresql://postgres@db/prm_{service}"  # passed through
    assert environment["PATH"] == "/usr/bin"
    # problem types are absolute URIs at the gateway, which serves their pages
    assert environment["PRM_PROBLEM_BASE_URI"] == "http://127.0.0.1:9000/problems/"


def test_each_child_is_uvicorn_on_its_factory_with_this_python(tmp_path: Path) -> None:
    specs = {spec.name: spec for spec in child_specs(OPTIONS, CliSettings(data_dir=tmp_path), "s" * 40)}

    scoring = specs["scoring"]
    assert scoring.command[:4] == [sys.executable, "-m", "uvicorn", "scoring.main:create_app"]
    assert "--factory" in scoring.command
    assert scoring.command[scoring.command.index("--port") + 1] == "9102"
    assert scoring.ready_url == "http://127.0.0.1:9102/readyz"
    assert specs["gateway"].ready_url == "http://127.0.0.1:9000/readyz"


def test_wildcard_binds_are_reached_on_loopback() -> None:
    assert reachable_host("0.0.0.0") == "127.0.0.1"  # noqa: S104 - a string, not a bind
    assert reachable_host("::") == "[::1]"
    assert reachable_host("::1") == "[::1]"
    assert reachable_host("10.1.2.3") == "10.1.2.3"

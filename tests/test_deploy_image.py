"""The deploy image's install works: its steps replayed without Docker, every service's migrations run.

The machine running the tests may have no Docker daemon, so this reads `deploy/Dockerfile` and replays what
matters: the build stage's `COPY`s and its `uv sync`, then only what the runtime stage copies out of the
build stage is kept. From there, as a pod would, `prm migrate` must bring every service's database to its
head and each app module must import. (A `uv sync --no-editable` image once lacked every migration: the
services read them from their source trees, which a non-editable install leaves behind.)
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from prm_cli import services
from prm_kit.migrations import head_revision

pytestmark = [pytest.mark.e2e, pytest.mark.backend_independent]

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
IMAGE_ROOT = "/app/"
APP_MODULES = ["partner_registry.main", "scoring.main", "incentives.main", "analytics.main", "gateway.serve"]
# a cold uv cache on a slow day: the install itself is links from the cache made by `make sync`
INSTALL_TIMEOUT_SECONDS = 600


def _stages() -> list[list[list[str]]]:
    """The Dockerfile's instructions, split into stages, each instruction as its words."""
    stages: list[list[list[str]]] = []
    for line in DOCKERFILE.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        words = shlex.split(line)
        if words[0] == "FROM":
            stages.append([])
        stages[-1].append(words)
    return stages


def _uv() -> str:
    uv = ROOT / ".tools" / "bin" / "uv"
    found = str(uv) if uv.exists() else shutil.which("uv")
    assert found, "uv is neither in .tools/ (make sync) nor on PATH"
    return found


def _replay_image(app: Path) -> None:
    build, runtime = _stages()
    app.mkdir()
    for words in build:
        if words[0] == "COPY":
            *sources, target = words[1:]
            for source in sources:
                destination = app / target / Path(source).name if target.endswith("/") else app / target
                if (ROOT / source).is_dir():
                    shutil.copytree(
                        ROOT / source, destination, ignore=shutil.ignore_patterns(".venv", "__pycache__")
                    )
                else:
                    shutil.copy2(ROOT / source, destination)
        elif words[0] == "RUN" and words[1] == "uv":
            env = {
                **os.environ,
                "UV_PYTHON": sys.base_prefix + "/bin/python3",
                "UV_PYTHON_DOWNLOADS": "never",
            }
            env.pop("VIRTUAL_ENV", None)
            env.pop("UV_COMPILE_BYTECODE", None)
            subprocess.run([_uv(), *words[2:]], cwd=app, env=env, check=True, timeout=INSTALL_TIMEOUT_SECONDS)

    kept = {
        words[2].removeprefix(IMAGE_ROOT)
        for words in runtime
        if words[0] == "COPY" and words[1] == "--from=build"
    }
    assert ".venv" in kept, "the runtime stage must copy the build stage's virtual environment"
    for entry in app.iterdir():
        if entry.name not in kept:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for words in runtime:
        if words[0] == "COPY" and not words[1].startswith("--from"):
            destination = app / words[2].removeprefix(IMAGE_ROOT)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / words[1], destination)


def test_the_image_install_migrates_every_service_and_imports_every_app(tmp_path: Path) -> None:
    app = tmp_path / "app"
    _replay_image(app)
    python = app / ".venv" / "bin" / "python"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PRM_", "VIRTUAL_ENV", "PYTHON"))
    }
    env["PATH"] = f"{app / '.venv' / 'bin'}:{env.get('PATH', '')}"
    env["PRM_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'data'}/{{service}}.db"
    (tmp_path / "data").mkdir()

    migrated = subprocess.run(
        [str(app / ".venv" / "bin" / "prm"), "migrate"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    for service in services.ALL:
        head = head_revision(service.migrations_dir())
        assert f"{service.name:<10} at {head} " in migrated.stdout, migrated.stdout

    imported = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]",
            *APP_MODULES,
        ],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert imported.returncode == 0, imported.stderr

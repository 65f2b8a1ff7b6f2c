"""The gateway runs without the services' code: it imports none of their packages, nor the CLI's."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "gateway"
FOREIGN = {"partner_registry", "scoring", "incentives", "analytics", "prm_cli", "importlib"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_the_gateway_source_imports_no_service_package() -> None:
    sources = sorted(SOURCE.rglob("*.py"))
    # importlib too: a module named in a string would slip past this test
    found = {
        f"{path.relative_to(SOURCE)}: {module}"
        for path in sources
        for module in _imported_modules(path)
        if module.split(".")[0] in FOREIGN
    }

    assert sources
    assert found == set()
    assert not any("__import__(" in path.read_text(encoding="utf-8") for path in sources)

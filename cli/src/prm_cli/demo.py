"""`prm demo` and `prm up --demo`: demo data loaded through the public API, once.

A loader is an async function that creates one domain's demo data through the gateway with an
admin key (partners first, then what refers to them). Each domain adds its loader to `LOADERS`;
the names of the loaders already applied are kept in `<data_dir>/demo-loaded.json`, so every
loader runs once per data folder, and a loader added later still runs on the next start.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from prm_cli import demo_analytics, demo_incentives, demo_scoring, demo_scoring_health
from prm_cli.config import CliSettings
from prm_cli.demo_data import registry
from prm_cli.keys import temporary_admin_key

MARKER_FILE = "demo-loaded.json"


@dataclass(frozen=True)
class DemoLoader:
    name: str  # stable: it is what the marker file records
    domain: str
    load: Callable[[httpx.AsyncClient], Awaitable[None]]


# In dependency order. Feature work adds its loaders here.
LOADERS: list[DemoLoader] = [
    DemoLoader(name="registry", domain="partner-registry", load=registry.load),
    DemoLoader(name="scoring", domain="scoring", load=demo_scoring.load),
    DemoLoader(name="analytics", domain="analytics", load=demo_analytics.load),
    DemoLoader(name="incentives", domain="incentives", load=demo_incentives.load),
    # after analytics: health signals and tier recommendations come from its year of sales
    DemoLoader(name="scoring-health", domain="scoring", load=demo_scoring_health.load),
]


@dataclass(frozen=True)
class DemoOutcome:
    loaded: list[str]
    already_loaded: list[str]


def _marker(settings: CliSettings) -> Path:
    return settings.data_path / MARKER_FILE


def loaded_names(settings: CliSettings) -> dict[str, str]:
    """Loader name -> when it was applied to this data folder."""
    path = _marker(settings)
    if not path.exists():
        return {}
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))["loaded"]
    return loaded


def _record(settings: CliSettings, name: str) -> None:
    loaded = loaded_names(settings) | {name: datetime.now(UTC).isoformat(timespec="seconds")}
    path = _marker(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"loaded": loaded}, indent=2, sort_keys=True) + "\n", encoding="utf-8")


async def load(
    settings: CliSettings,
    *,
    gateway_url: str,
    key: str | None,
    loaders: Sequence[DemoLoader] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DemoOutcome:
    """Run the loaders this data folder has not seen yet, in order, recording each one that succeeds.

    Without `key`, an admin key is created on the local gateway database and revoked afterwards.
    """
    chosen = LOADERS if loaders is None else loaders
    done = loaded_names(settings)
    pending = [loader for loader in chosen if loader.name not in done]
    outcome = DemoOutcome(loaded=[], already_loaded=[loader.name for loader in chosen if loader.name in done])
    if not pending:
        return outcome
    credential: AbstractAsyncContextManager[str] = (
        nullcontext(key) if key else temporary_admin_key(settings, name="demo-loader")
    )
    async with (
        credential as bearer,
        httpx.AsyncClient(
            base_url=gateway_url,
            headers={"Authorization": f"Bearer {bearer}"},
            timeout=30.0,
            transport=transport,
        ) as client,
    ):
        for loader in pending:
            await loader.load(client)
            _record(settings, loader.name)
            outcome.loaded.append(loader.name)
    return outcome

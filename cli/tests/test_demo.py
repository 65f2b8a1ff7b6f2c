"""Demo data: each loader runs once per data folder, in order, with the admin key, through the API."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from prm_cli import demo
from prm_cli.config import CliSettings
from prm_cli.demo import MARKER_FILE, DemoLoader, load
from prm_cli.main import app
from typer.testing import CliRunner


def recording_loader(name: str, calls: list[str], *, fail: bool = False) -> DemoLoader:
    async def load_one(client: httpx.AsyncClient) -> None:
        response = await client.post(f"/v1/{name}", json={"demo": True})
        response.raise_for_status()
        calls.append(name)
        if fail:
            raise httpx.HTTPStatusError("refused", request=response.request, response=response)

    return DemoLoader(name=name, domain=name, load=load_one)


def gateway(seen: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={})

    return httpx.MockTransport(answer)


@pytest.mark.asyncio
async def test_loaders_run_in_order_with_the_key_then_never_again(tmp_path: Path) -> None:
    settings = CliSettings(data_dir=tmp_path)
    calls: list[str] = []
    seen: list[httpx.Request] = []
    loaders = [recording_loader("partners", calls), recording_loader("programmes", calls)]

    first = await load(
        settings, gateway_url="http://gw", key="prm_demo", loaders=loaders, transport=gateway(seen)
    )
    second = await load(
        settings, gateway_url="http://gw", key="prm_demo", loaders=loaders, transport=gateway(seen)
    )

    assert calls == ["partners", "programmes"]
    assert [request.headers["authorization"] for request in seen] == ["Bearer prm_demo"] * 2
    assert first.loaded == ["partners", "programmes"]
    assert second.loaded == []
    assert second.already_loaded == ["partners", "programmes"]
    assert set(json.loads((tmp_path / MARKER_FILE).read_text())["loaded"]) == {"partners", "programmes"}


@pytest.mark.asyncio
async def test_a_failing_loader_is_not_recorded_and_stops_the_rest(tmp_path: Path) -> None:
    settings = CliSettings(data_dir=tmp_path)
    calls: list[str] = []
    loaders = [recording_loader("partners", calls, fail=True), recording_loader("programmes", calls)]

    with pytest.raises(httpx.HTTPStatusError):
        await load(settings, gateway_url="http://gw", key="prm_demo", loaders=loaders, transport=gateway([]))

    assert calls == ["partners"]
    assert not (tmp_path / MARKER_FILE).exists()


@pytest.mark.asyncio
async def test_no_loaders_means_nothing_to_do(tmp_path: Path) -> None:
    outcome = await load(CliSettings(data_dir=tmp_path), gateway_url="http://gw", key=None, loaders=[])

    assert outcome.loaded == outcome.already_loaded == []


def test_prm_demo_says_when_there_is_nothing_to_load_yet(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(demo, "LOADERS", [])

    result = CliRunner(env={"PRM_DATA_DIR": str(tmp_path)}).invoke(app, ["demo", "--key", "prm_unused"])

    assert result.exit_code == 0, result.output
    assert "no loaders exist yet" in result.output

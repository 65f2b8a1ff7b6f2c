"""Who takes whose events: declared by each subscriber, wired by `prm up` and the k8s ConfigMap, and routed
by the gateway for each service's dead letters."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import yaml
from fastapi.routing import iter_route_contexts
from gateway.routing import match
from prm_cli.config import CliSettings
from prm_cli.services import BACKENDS, by_name, event_subscriptions
from prm_cli.up import child_environment
from prm_contracts.principal import ADMIN_SCOPE, Principal
from prm_kit.testing import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
SOME_PARTNER = UUID("6f1c1d1e-1111-4a4a-8b8b-000000000001")
URLS = {
    "registry": "http://127.0.0.1:9101",
    "scoring": "http://127.0.0.1:9102",
    "incentives": "http://127.0.0.1:9103",
    "analytics": "http://127.0.0.1:9104",
    "gateway": "http://127.0.0.1:9000",
}


def _environment(tmp_path: Path, inherited: dict[str, str] | None = None) -> dict[str, str]:
    return child_environment(inherited or {}, CliSettings(data_dir=tmp_path), "s" * 40, URLS)


def test_analytics_takes_the_registrys_events_so_prm_up_makes_the_registry_deliver_to_it(
    tmp_path: Path,
) -> None:
    assert "registry" in by_name("analytics").subscribes_to()

    environment = _environment(tmp_path)

    subscribers = environment["PRM_REGISTRY_EVENT_SUBSCRIBERS"].split(",")
    assert "http://127.0.0.1:9104" in subscribers
    assert "http://127.0.0.1:9101" not in subscribers  # never to itself


def test_a_new_subscriber_is_one_line_in_its_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(by_name("scoring").settings_class(), "subscribes_to", ("registry", "analytics"))
    monkeypatch.setattr(by_name("incentives").settings_class(), "subscribes_to", ("registry", "analytics"))
    monkeypatch.setattr(by_name("analytics").settings_class(), "subscribes_to", ("registry",))

    environment = _environment(tmp_path)

    # in the table's order: scoring, incentives, analytics
    assert environment["PRM_REGISTRY_EVENT_SUBSCRIBERS"] == (
        "http://127.0.0.1:9102,http://127.0.0.1:9103,http://127.0.0.1:9104"
    )
    assert environment["PRM_ANALYTICS_EVENT_SUBSCRIBERS"] == "http://127.0.0.1:9102,http://127.0.0.1:9103"
    assert "PRM_SCORING_EVENT_SUBSCRIBERS" not in environment  # nobody takes scoring's events
    assert "PRM_INCENTIVES_EVENT_SUBSCRIBERS" not in environment


def test_subscribers_the_user_set_win(tmp_path: Path) -> None:
    environment = _environment(tmp_path, {"PRM_REGISTRY_EVENT_SUBSCRIBERS": "http://elsewhere:8004"})

    assert environment["PRM_REGISTRY_EVENT_SUBSCRIBERS"] == "http://elsewhere:8004"


@pytest.mark.parametrize("publisher", ["gateway", "billing", "analytics"])
def test_subscribing_to_what_does_not_publish_is_an_error(
    monkeypatch: pytest.MonkeyPatch, publisher: str
) -> None:
    monkeypatch.setattr(by_name("analytics").settings_class(), "subscribes_to", (publisher,))

    with pytest.raises(ValueError, match=f"analytics subscribes to '{publisher}'"):
        event_subscriptions()


def _mounts_the_events_endpoint(package: str, settings_class: Any) -> bool:
    """Whether the service's app (built, not started) takes events at POST /internal/events."""
    app = importlib.import_module(f"{package}.main").create_app(settings_class(internal_secret=TEST_SECRET))
    # included routers stay nested in `app.routes`; iter_route_contexts walks every route they hold
    return any(
        route.path == "/internal/events" and "POST" in (route.methods or ())
        for route in iter_route_contexts(app.routes)
    )


@pytest.mark.backend_independent
@pytest.mark.parametrize("service", BACKENDS, ids=lambda service: service.name)
def test_a_service_declares_publishers_exactly_when_it_takes_events(service: Any) -> None:
    mounts = _mounts_the_events_endpoint(service.package, service.settings_class())

    assert mounts == bool(service.subscribes_to()), (
        f"{service.name}: mounting prm_kit.inbox's events router and naming the publishers in its settings' "
        "subscribes_to go together"
    )


@pytest.mark.backend_independent
def test_the_k8s_config_map_wires_the_same_subscriptions() -> None:
    data = yaml.safe_load((ROOT / "deploy" / "k8s" / "config.yaml").read_text(encoding="utf-8"))["data"]
    in_cluster = {service.name: data[service.url_env] for service in BACKENDS if service.url_env}

    wired = {
        name.removeprefix("PRM_").removesuffix("_EVENT_SUBSCRIBERS").lower(): value.split(",")
        for name, value in data.items()
        if name.endswith("_EVENT_SUBSCRIBERS")
    }

    assert wired == {
        publisher: [in_cluster[name] for name in subscribers]
        for publisher, subscribers in event_subscriptions().items()
    }


@pytest.mark.parametrize("service", BACKENDS, ids=lambda service: service.name)
def test_the_gateway_routes_each_services_dead_letters_to_it_for_admins_only(service: Any) -> None:
    listing = match(f"/v1/event-dead-letters/{service.name}")
    replay = match(f"/v1/event-dead-letters/{service.name}/0b8e9a52-3c1e-4f6a-9a57-2f0d6f3c1a10/replays")

    assert listing is not None
    assert replay is not None
    assert (listing.service, replay.service) == (service.name, service.name)
    for method in ("GET", "POST"):
        assert listing.scope_for(method) == ADMIN_SCOPE
    # what the gateway then checks: an admin key bound to a partner is no admin
    admin = Principal(subject="key:admin", scopes=frozenset({ADMIN_SCOPE}))
    bound = Principal(subject="key:bound", scopes=frozenset({ADMIN_SCOPE}), partner_id=SOME_PARTNER)
    assert admin.has_scope(ADMIN_SCOPE)
    assert not bound.has_scope(ADMIN_SCOPE)
    assert match("/v1/event-dead-letters") is None
    assert match("/v1/event-dead-letters/gateway") is None

"""The table of PRM's processes: what `prm up` starts and `prm migrate` migrates, in start order; and who takes
whose events.

Subscriptions are declared by the subscriber, beside the handler it mounts at `POST /internal/events`: its
settings class names the publishers (`subscribes_to: ClassVar[tuple[str, ...]] = ("registry",)`).
`event_subscriptions()` reads them without starting anything; `prm up` and deploy/k8s/config.yaml turn them
into each publisher's `PRM_<PUBLISHER>_EVENT_SUBSCRIBERS`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from prm_kit.settings import BaseServiceSettings


@dataclass(frozen=True)
class Service:
    name: str  # also the `{service}` of PRM_DATABASE_URL and the <NAME> of PRM_<NAME>_DATABASE_URL
    package: str
    default_port: int

    @property
    def app_factory(self) -> str:
        """What uvicorn's `--factory` mode is given."""
        return f"{self.package}.main:create_app"

    @property
    def url_env(self) -> str | None:
        """The setting through which the other processes find this one (the gateway is found by people)."""
        return None if self.name == "gateway" else f"PRM_{self.name.upper()}_URL"

    @property
    def event_subscribers_env(self) -> str:
        """The setting naming the base URLs this service delivers its outbox events to."""
        return f"PRM_{self.name.upper()}_EVENT_SUBSCRIBERS"

    def subscribes_to(self) -> tuple[str, ...]:
        """The services whose events this one takes, as its settings declare."""
        return self.settings_class().subscribes_to

    def settings_class(self) -> type[BaseServiceSettings]:
        settings: type[BaseServiceSettings] = importlib.import_module(f"{self.package}.config").Settings
        return settings

    def migrations_dir(self) -> Path:
        # Imported lazily: a service's main module pulls in its whole app.
        migrations: Path = importlib.import_module(f"{self.package}.main").MIGRATIONS_DIR
        return migrations


GATEWAY = Service("gateway", "gateway", 8000)
BACKENDS = (
    Service("registry", "partner_registry", 8001),
    Service("scoring", "scoring", 8002),
    Service("incentives", "incentives", 8003),
    Service("analytics", "analytics", 8004),
)
ALL = (*BACKENDS, GATEWAY)
NAMES = tuple(service.name for service in ALL)


def by_name(name: str) -> Service:
    for service in ALL:
        if service.name == name:
            return service
    raise KeyError(f"unknown service {name!r}; choose one of {', '.join(NAMES)}")


def ports(gateway_port: int, base_port: int) -> dict[str, int]:
    """The gateway on its own port, the services on consecutive ports from `base_port`, in table order."""
    chosen = {service.name: base_port + index for index, service in enumerate(BACKENDS)}
    chosen[GATEWAY.name] = gateway_port
    return chosen


def event_subscriptions() -> dict[str, tuple[str, ...]]:
    """Publisher -> the services that take its events, in table order (publishers without any left out).

    A subscriber naming a service that is not in the table is an error, not a silent no-op."""
    subscribers: dict[str, list[str]] = {}
    for subscriber in BACKENDS:
        for publisher in subscriber.subscribes_to():
            if publisher not in {service.name for service in BACKENDS} or publisher == subscriber.name:
                raise ValueError(
                    f"{subscriber.name} subscribes to {publisher!r}; it can take events of: "
                    + ", ".join(service.name for service in BACKENDS if service != subscriber)
                )
            subscribers.setdefault(publisher, []).append(subscriber.name)
    return {
        service.name: tuple(subscribers[service.name]) for service in BACKENDS if service.name in subscribers
    }

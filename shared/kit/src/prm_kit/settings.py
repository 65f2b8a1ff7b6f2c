"""Settings every service shares; read from `PRM_*` environment variables and failing fast when wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from fastapi import Request
from prm_contracts.problem import DEFAULT_PROBLEM_BASE_URI
from pydantic import AliasChoices, BeforeValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from prm_kit.networks import checked_networks

MIN_SECRET_LENGTH = 32


def database_url_field(service_env_name: str) -> Any:
    """`PRM_<SERVICE>_DATABASE_URL` wins over the shared `PRM_DATABASE_URL` template."""
    return Field(
        default=None,
        validation_alias=AliasChoices(
            f"PRM_{service_env_name}_DATABASE_URL", "PRM_DATABASE_URL", "database_url"
        ),
        description="SQLAlchemy async URL; may contain '{service}'. Default: a SQLite file under data_dir.",
    )


def event_subscribers_field(service_env_name: str) -> Any:
    """`PRM_<SERVICE>_EVENT_SUBSCRIBERS`: per service, so one environment can configure every service."""
    return Field(
        default_factory=list,
        validation_alias=AliasChoices(f"PRM_{service_env_name}_EVENT_SUBSCRIBERS", "event_subscribers"),
        description="Base URLs of the services this one delivers its outbox events to (comma-separated); "
        "each receives them at POST /internal/events. Empty: events are kept until a subscriber is set.",
    )


def _split_comma_separated(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


# A list setting: comma-separated ("http://a:8003,http://b:8004") or a JSON list in the environment.
CommaSeparated = Annotated[list[str], NoDecode, BeforeValidator(_split_comma_separated)]


class BaseServiceSettings(BaseSettings):
    # hide_input_in_errors: a rejected secret or database URL (with its password) must not reach the logs.
    model_config = SettingsConfigDict(
        env_prefix="PRM_", extra="ignore", validate_by_name=True, frozen=True, hide_input_in_errors=True
    )

    service_name: ClassVar[str] = "service"
    # The services whose events this one takes at POST /internal/events (it mounts prm_kit.inbox's router):
    # `prm up` and the deploy manifests make each of them deliver here. Declared by the subscriber, so
    # subscribing is one line beside the handler.
    subscribes_to: ClassVar[tuple[str, ...]] = ()

    data_dir: Path = Path(".prm-data")
    database_url: str | None = None
    internal_secret: SecretStr = Field(
        description="Shared by the gateway and the services to sign and verify the forwarded principal; "
        f"at least {MIN_SECRET_LENGTH} characters.",
    )
    problem_base_uri: str = Field(
        default=DEFAULT_PROBLEM_BASE_URI,
        pattern=r"^(https?://[^\s/]+)?/[^\s]*/$",
        description="Absolute URI the problem types' slugs are appended to, the same for every process of a "
        "deployment: normally the gateway's public URL + `/problems/`, where it serves a page per type.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    access_log: bool = True
    registry_url: str = "http://127.0.0.1:8001"
    scoring_url: str = "http://127.0.0.1:8002"
    incentives_url: str = "http://127.0.0.1:8003"
    analytics_url: str = "http://127.0.0.1:8004"
    http_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    event_subscribers: CommaSeparated = Field(default_factory=list)
    outbox_poll_seconds: float = Field(
        default=0.5, gt=0, le=60, description="How often the outbox relay looks for events to deliver."
    )
    outbox_keep_delivered_hours: int = Field(
        default=168,
        ge=0,
        le=87_600,
        description="How long delivered outbox events are kept (for inspection) before the relay deletes "
        "them; 0 keeps them forever. Events with a dead letter are kept while it is.",
    )
    relay_dead_letter_attempts: int = Field(
        default=5,
        ge=1,
        le=100,
        description="How many times a subscriber may refuse one event alone for good (a 4xx other than "
        "401, 403, 404, 405, 408, 409 and 429) before the relay parks it as a dead letter for that "
        "subscriber, so the events after it flow again; admins list and replay dead letters.",
    )
    metrics_allowed_networks: CommaSeparated = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"],
        description="Addresses or CIDR networks (comma-separated) whose direct requests may read /metrics, "
        "say Prometheus' pod network; a request that came through a proxy (X-Forwarded-For) never does. "
        "A PRM service's own internal credential may read it from anywhere. Default: loopback only.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("event_subscribers")
    @classmethod
    def _http_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"event subscriber {url!r} must be an http:// or https:// URL")
        return [url.rstrip("/") for url in value]

    @field_validator("metrics_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return checked_networks(value, "metrics_allowed_networks (PRM_METRICS_ALLOWED_NETWORKS)")

    @field_validator("internal_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"internal_secret (PRM_INTERNAL_SECRET) must be at least {MIN_SECRET_LENGTH} characters; "
                "use a long random value shared by the gateway and the services"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + value.split("://", 1)[1]
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("database_url must be a postgresql:// or sqlite:// URL")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url.replace("{service}", self.service_name)
        return f"sqlite+aiosqlite:///{self.data_dir.resolve() / (self.service_name + '.db')}"


async def app_settings(request: Request) -> Any:
    """The settings the app was built with, for a service's `SettingsDep`:
    `SettingsDep = Annotated[Settings, Depends(app_settings)]`. (`async` only so that FastAPI calls it inline
    rather than through its thread pool.)"""
    return request.app.state.settings

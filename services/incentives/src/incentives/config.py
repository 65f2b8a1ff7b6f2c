"""Settings of the Incentives service (`PRM_*` environment variables)."""

from typing import ClassVar

from prm_kit.settings import BaseServiceSettings, CommaSeparated, database_url_field, event_subscribers_field


class Settings(BaseServiceSettings):
    service_name: ClassVar[str] = "incentives"
    # its events handler: incentives.events (sales lines from analytics, partner histories from the registry)
    subscribes_to: ClassVar[tuple[str, ...]] = ("registry", "analytics")

    database_url: str | None = database_url_field("INCENTIVES")
    event_subscribers: CommaSeparated = event_subscribers_field("INCENTIVES")

"""Settings of the Analytics service (`PRM_*` environment variables)."""

from typing import ClassVar

from prm_kit.settings import BaseServiceSettings, CommaSeparated, database_url_field, event_subscribers_field


class Settings(BaseServiceSettings):
    service_name: ClassVar[str] = "analytics"

    database_url: str | None = database_url_field("ANALYTICS")
    event_subscribers: CommaSeparated = event_subscribers_field("ANALYTICS")

"""Settings of the Incentives service (`PRM_*` environment variables)."""

from typing import ClassVar

from prm_kit.settings import BaseServiceSettings, CommaSeparated, database_url_field, event_subscribers_field


class Settings(BaseServiceSettings):
    service_name: ClassVar[str] = "incentives"

    database_url: str | None = database_url_field("INCENTIVES")
    event_subscribers: CommaSeparated = event_subscribers_field("INCENTIVES")

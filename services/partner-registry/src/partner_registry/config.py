"""Settings of the Partner registry service (`PRM_*` environment variables)."""

from typing import ClassVar

from prm_kit.settings import BaseServiceSettings, database_url_field


class Settings(BaseServiceSettings):
    service_name: ClassVar[str] = "registry"

    database_url: str | None = database_url_field("REGISTRY")

"""What the CLI itself reads from `PRM_*` variables, the persistent internal secret, and each service's settings."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from prm_kit.settings import BaseServiceSettings
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from prm_cli.services import Service

SECRET_FILE = "internal-secret"  # noqa: S105 - a file name, not a secret


class CliSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRM_", extra="ignore")

    data_dir: Path = BaseServiceSettings.model_fields["data_dir"].default
    internal_secret: SecretStr | None = None
    bootstrap_admin_key: SecretStr | None = None

    @property
    def data_path(self) -> Path:
        return self.data_dir.resolve()


def internal_secret(settings: CliSettings) -> str:
    """PRM_INTERNAL_SECRET if set, else the one generated once into `<data_dir>/internal-secret` (mode 0600).

    Persisting it keeps credentials the gateway signed valid across restarts and lets every
    `prm` command of one data folder agree with the running services without any setup.
    """
    if settings.internal_secret is not None:
        return settings.internal_secret.get_secret_value()
    path = settings.data_path / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(value + "\n")
    return value


def service_settings(service: Service, settings: CliSettings) -> BaseServiceSettings:
    """The settings `service` would read in its own process, with the CLI's data folder and secret."""
    return service.settings_class()(
        internal_secret=SecretStr(internal_secret(settings)), data_dir=settings.data_path
    )

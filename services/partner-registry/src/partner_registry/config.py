"""Settings of the Partner registry service (`PRM_*` environment variables)."""

from typing import Annotated, Any, ClassVar

from cryptography.fernet import Fernet
from fastapi import Depends
from prm_kit.settings import (
    MIN_SECRET_LENGTH,
    BaseServiceSettings,
    CommaSeparated,
    app_settings,
    database_url_field,
    event_subscribers_field,
)
from pydantic import BeforeValidator, Field, SecretStr, field_validator
from pydantic_settings import NoDecode


def _comma_separated(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseServiceSettings):
    service_name: ClassVar[str] = "registry"

    database_url: str | None = database_url_field("REGISTRY")
    event_subscribers: CommaSeparated = event_subscribers_field("REGISTRY")

    # deal registrations (deal_registrations/)
    deal_auto_approve: bool = Field(
        default=True,
        description="Approve a deal registration on submission when no conflict is found; "
        "otherwise every registration waits for a channel manager.",
    )
    deal_name_match_threshold: float = Field(
        default=88.0,
        ge=50,
        le=100,
        description="Customer names at least this similar (0-100, rapidfuzz token_sort_ratio after "
        "normalisation) are the same customer.",
    )
    deal_protection_days: int = Field(
        default=90, ge=1, le=3650, description="How long an approved registration protects the deal."
    )
    deal_extension_days: int = Field(
        default=30, ge=1, le=3650, description="How much longer the one extension of the protection lasts."
    )
    deal_conflict_candidate_limit: int = Field(
        default=200,
        ge=10,
        le=10_000,
        description="At most this many look-alike names are scored per submission (most shared tokens first).",
    )
    deal_expiry_sweep_seconds: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description="How often the service marks registrations whose protection ran out as expired; 0 stops "
        "the background sweep (POST /v1/deal-registrations/expiry-sweeps still runs one).",
    )

    # agreements (agreements/)
    agreement_expiry_sweep_seconds: float = Field(
        default=3600.0,
        ge=0,
        le=86_400,
        description="How often the service marks active agreements whose ends_on has passed as expired; 0 "
        "stops the background sweep (POST /v1/agreements/expiry-sweeps still runs one).",
    )

    # partner webhook secrets (webhook_secrets/)
    webhook_secret_overlap_hours: int = Field(
        default=24,
        ge=0,
        le=24 * 30,
        description="How long a rotated-out webhook secret stays valid beside its successor.",
    )
    webhook_secret_key: SecretStr | None = Field(
        default=None,
        description="Older: key material to derive the webhook secrets' key from (at least 32 characters); "
        "default: internal_secret. Prefer webhook_secret_keys; this one stays a decryption key.",
    )
    webhook_secret_keys: Annotated[list[SecretStr], NoDecode, BeforeValidator(_comma_separated)] = Field(
        default_factory=list,
        description="Fernet keys (comma-separated; cryptography's Fernet.generate_key()) to encrypt stored "
        "webhook secrets: the first encrypts, all decrypt, and so do the keys derived from "
        "webhook_secret_key and internal_secret. Rotate by putting a new key first; drop an old key only "
        "once no valid secret was issued under it. Empty: the derived key encrypts.",
    )

    @field_validator("webhook_secret_keys")
    @classmethod
    def _fernet_keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        for position, key in enumerate(value, start=1):
            try:
                Fernet(key.get_secret_value().encode("ascii"))
            except (ValueError, UnicodeEncodeError):
                raise ValueError(
                    f"webhook_secret_keys (PRM_WEBHOOK_SECRET_KEYS): key {position} is not a Fernet key "
                    "(32 bytes, URL-safe base64)"
                ) from None
        return value

    @field_validator("webhook_secret_key")
    @classmethod
    def _key_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"webhook_secret_key (PRM_WEBHOOK_SECRET_KEY) must be at least {MIN_SECRET_LENGTH} characters"
            )
        return value


SettingsDep = Annotated[Settings, Depends(app_settings)]

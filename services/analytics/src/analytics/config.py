"""Settings of the Analytics service (`PRM_*` environment variables)."""

from typing import ClassVar

from prm_contracts.money import CurrencyCode
from prm_kit.settings import BaseServiceSettings, CommaSeparated, database_url_field, event_subscribers_field
from pydantic import Field


class Settings(BaseServiceSettings):
    service_name: ClassVar[str] = "analytics"
    subscribes_to: ClassVar[tuple[str, ...]] = ("registry",)  # its events handler: analytics.events

    database_url: str | None = database_url_field("ANALYTICS")
    event_subscribers: CommaSeparated = event_subscribers_field("ANALYTICS")

    # sales-data webhooks (sales/)
    webhook_secret_cache_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="How long a partner's webhook secrets fetched from the registry are reused before being "
        "fetched again (0: every delivery asks the registry). A `partner.webhook_secrets_changed` event "
        "forgets them at once.",
    )
    webhook_receipt_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="How long the answer to each delivery is kept for a redelivery of its `webhook-id` "
        "(senders retry for hours to days). Later, the same delivery again is judged afresh: its lines are "
        "duplicates, never stored twice.",
    )
    webhook_tolerance_seconds: int = Field(
        default=300,
        ge=1,
        le=3600,
        description="A delivery whose `webhook-timestamp` is further than this from now is refused as stale "
        "(Standard Webhooks: 5 minutes).",
    )

    # FX (fx/)
    reporting_currency: CurrencyCode = Field(
        default="EUR",
        description="The currency KPIs are also reported in (beside each partner's own), converted with the "
        "stored FX rates.",
    )

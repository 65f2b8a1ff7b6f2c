"""Partners' Standard Webhooks signing secrets as the registry hands them to analytics.

The registry issues and rotates each partner's secret; analytics verifies inbound webhooks with every
secret currently valid for the partner (more than one during a rotation's overlap). Only services see the
secrets themselves: `GET /internal/partners/{partner_id}/webhook-secrets` (`RegistryClient.webhook_secrets`).
"""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

PARTNER_WEBHOOK_SECRETS_CHANGED = "partner.webhook_secrets_changed"

WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 - the format prefix, not a secret


class WebhookSigningSecret(BaseModel):
    """One secret and the window in which signatures made with it are accepted."""

    id: UUID
    secret: str = Field(
        description="`whsec_` followed by the base64 of the secret bytes (Standard Webhooks)."
    )
    fingerprint: str = Field(description="A short, non-secret hash of the secret, to tell secrets apart.")
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = Field(
        description="Null while the secret has no successor; set when it is rotated out or revoked."
    )


class PartnerWebhookSecrets(BaseModel):
    """The secrets valid for a partner now, newest first; empty when the partner has none."""

    partner_id: UUID
    secrets: list[WebhookSigningSecret]


class PartnerWebhookSecretsChanged(BaseModel):
    """Data of `partner.webhook_secrets_changed`: a secret was issued, rotated or revoked.

    Carries no secret: a consumer that caches secrets fetches them again.
    """

    partner_id: UUID
    valid_secret_ids: list[UUID] = Field(description="The secrets valid right after the change.")
    changed_at: AwareDatetime

"""Bodies of the webhook secret endpoints, and ORM → body conversion.

The internal answer to analytics (`PartnerWebhookSecrets`) crosses a boundary and lives in
`prm_contracts.webhook_secrets`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

if TYPE_CHECKING:
    from partner_registry.webhook_secrets.models import PartnerWebhookSecret


class WebhookSecretOut(BaseModel):
    """A webhook signing secret as listed: never the secret itself."""

    id: UUID
    partner_id: UUID
    fingerprint: str = Field(
        description="12 hex digits of the secret's SHA-256, to tell secrets apart.", examples=["3f9a1c0b7d2e"]
    )
    created_at: AwareDatetime
    expires_at: AwareDatetime | None = Field(
        description="When signatures made with it stop being accepted; null while it has no successor."
    )
    revoked_at: AwareDatetime | None


class IssuedWebhookSecretOut(WebhookSecretOut):
    """A newly issued secret: the only answer that ever carries it. Store it in the partner's system now."""

    secret: str = Field(
        description="`whsec_` + base64 of 32 random bytes, for signing per Standard Webhooks. Shown once.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )
    previous_secrets_expire_at: AwareDatetime | None = Field(
        description="Until when the secrets valid before this one are still accepted (the rotation's "
        "overlap); null when there were none."
    )


def webhook_secret_out(row: PartnerWebhookSecret) -> WebhookSecretOut:
    return WebhookSecretOut(
        id=row.id,
        partner_id=row.partner_id,
        fingerprint=row.fingerprint,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )

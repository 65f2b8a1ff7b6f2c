"""Typed client of the partner-registry service's endpoints that other services call."""

from uuid import UUID

from prm_contracts.clients.base import ServiceClient
from prm_contracts.webhook_secrets import PartnerWebhookSecrets


class RegistryClient(ServiceClient):
    service = "partner-registry"

    async def webhook_secrets(self, partner_id: UUID) -> PartnerWebhookSecrets:
        """The partner's currently valid webhook signing secrets (404 `NotFound` for an unknown partner)."""
        return await self._json(
            "GET", f"/internal/partners/{partner_id}/webhook-secrets", PartnerWebhookSecrets
        )

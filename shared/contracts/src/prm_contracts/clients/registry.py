"""Typed client of the partner-registry service's endpoints that other services call.

Services call the registry's `/v1` endpoints with their internal credential (which passes every scope) and
its `/internal` ones; each method answers a contract model or raises the AppError of the registry's problem.
"""

from uuid import UUID

from prm_contracts.certifications import CertificationOut
from prm_contracts.clients.base import ServiceClient
from prm_contracts.compliance import ComplianceSummaryOut
from prm_contracts.deal_registrations import DealRegistrationOut
from prm_contracts.pagination import Page
from prm_contracts.partners import PartnerOut
from prm_contracts.tiers import TierChangeIn, TierChangeOut, TierOut
from prm_contracts.webhook_secrets import PartnerWebhookSecrets


class RegistryClient(ServiceClient):
    service = "partner-registry"

    async def webhook_secrets(self, partner_id: UUID) -> PartnerWebhookSecrets:
        """The partner's currently valid webhook signing secrets (404 `NotFound` for an unknown partner)."""
        return await self._json(
            "GET", f"/internal/partners/{partner_id}/webhook-secrets", PartnerWebhookSecrets
        )

    async def partner(self, partner_id: UUID) -> PartnerOut:
        """A partner as the registry holds it: status, tier, country, specialisations (404 if unknown)."""
        return await self._json("GET", f"/v1/partners/{partner_id}", PartnerOut)

    async def partner_exists(self, partner_id: UUID) -> bool:
        """Whether the registry holds the partner, whatever its status (its answer's status alone: nothing of
        the partner is read)."""
        response = await self._request("GET", f"/v1/partners/{partner_id}")
        if response.status_code == 404:
            return False
        if response.is_success:
            return True
        raise self._error_from(response)

    async def tiers(self) -> list[TierOut]:
        """The whole tier ladder, lowest rank first, with each tier's requirements and benefit hints."""
        ladder: list[TierOut] = []
        cursor: str | None = None
        while True:
            params = {"limit": "200"} | ({"cursor": cursor} if cursor else {})
            page = await self._json("GET", "/v1/tiers", Page[TierOut], params=params)
            ladder += page.items
            cursor = page.next_cursor
            if cursor is None:
                return ladder

    async def certifications(self, partner_id: UUID) -> list[CertificationOut]:
        """Every certification of the partner and its people, the latest issued first (404 if unknown)."""
        found: list[CertificationOut] = []
        cursor: str | None = None
        while True:
            params = {"limit": "200"} | ({"cursor": cursor} if cursor else {})
            path = f"/v1/partners/{partner_id}/certifications"
            page = await self._json("GET", path, Page[CertificationOut], params=params)
            found += page.items
            cursor = page.next_cursor
            if cursor is None:
                return found

    async def change_tier(self, partner_id: UUID, change: TierChangeIn) -> TierChangeOut:
        """Move the partner to another tier (scoring applies its recommendations with it); 409 when it holds
        the tier already or the recommendation was applied before (the problem names its `tier_change_id`)."""
        body = change.model_dump(mode="json", exclude_none=True)
        return await self._json("POST", f"/v1/partners/{partner_id}/tier-changes", TierChangeOut, json=body)

    async def compliance_summary(self, partner_id: UUID) -> ComplianceSummaryOut:
        """The compliance facts scoring's gates and analytics' KPI read: open violations by severity, the
        last audit (404 for an unknown partner)."""
        return await self._json("GET", f"/v1/partners/{partner_id}/compliance/summary", ComplianceSummaryOut)

    async def deal_registration(self, deal_registration_id: UUID) -> DealRegistrationOut:
        """A deal registration with its status and protection (incentives honour protected deals)."""
        return await self._json("GET", f"/v1/deal-registrations/{deal_registration_id}", DealRegistrationOut)

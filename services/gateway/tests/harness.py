"""A gateway under test: its in-process client, a session on its (rolled-back) database, helpers."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import httpx
from gateway.api_keys import service
from gateway.app import GatewayApp
from prm_kit.clock import utc_now
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass
class GatewayUnderTest:
    client: httpx.AsyncClient
    session: AsyncSession
    app: GatewayApp

    async def key(self, *scopes: str, partner_id: UUID | None = None, name: str = "test") -> str:
        """A new API key's plaintext, stored in the test's transaction."""
        _key, plaintext = await service.create_key(
            self.session, now=utc_now(), name=name, scopes=list(scopes), partner_id=partner_id
        )
        return plaintext

    @staticmethod
    def bearer(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

"""Who may read and shape the tier ladder: `tiers:read` reads it, `tiers:write` (or admin) changes it, and a
partner's own credential never changes it whatever its scopes. Partner scopes give no access to the ladder.
A refused request stores nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prm_contracts.principal import ADMIN_SCOPE, Principal
from prm_kit.testing import access_groups, undone
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    CHANNEL_MANAGER,
    OUTSIDER,
    TIER_ADMIN,
    TIER_READER,
    a_partner,
    a_tier,
    partner_user,
    signed_as,
    stored_counts,
    tier_body,
)

pytestmark = pytest.mark.asyncio

ADMIN = Principal(subject="key:admin", scopes=frozenset({ADMIN_SCOPE}))

CALLS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "list_tiers": ("GET", "/v1/tiers", None),
    "create_tier": ("POST", "/v1/tiers", tier_body(key="emerald", rank=20)),
    "get_tier": ("GET", "/v1/tiers/{tier}", None),
    "update_tier": ("PATCH", "/v1/tiers/{tier}", {"name": "Renamed"}),
    "delete_tier": ("DELETE", "/v1/tiers/{tier}", None),
}

CALLERS = [
    "admin",
    "tier admin",
    "tier reader",
    "channel manager",
    "outsider",
    "own partner (tiers:write)",
    "own partner (tiers:read)",
]

MATRIX = {
    "list_tiers": (200, 200, 200, 403, 403, 200, 200),
    "create_tier": (201, 201, 403, 403, 403, 403, 403),
    "get_tier": (200, 200, 200, 403, 403, 200, 200),
    "update_tier": (200, 200, 403, 403, 403, 403, 403),
    "delete_tier": (204, 204, 403, 403, 403, 403, 403),
}


def _principal(caller: str, partner: dict[str, Any]) -> Principal:
    return {
        "admin": ADMIN,
        "tier admin": TIER_ADMIN,
        "tier reader": TIER_READER,
        "channel manager": CHANNEL_MANAGER,
        "outsider": OUTSIDER,
        "own partner (tiers:write)": partner_user(partner, "tiers:write", "partners:write"),
        "own partner (tiers:read)": partner_user(partner, "tiers:read", "partners:read"),
    }[caller]


@pytest.mark.parametrize("call_name", MATRIX)
async def test_tier_access_matrix(client: httpx.AsyncClient, db: AsyncSession, call_name: str) -> None:
    method, path, body = CALLS[call_name]
    for group in access_groups(CALLERS, MATRIX[call_name], method):
        async with undone(db):
            partner = await a_partner(client)
            tier = await a_tier(client)
            for caller, expected in group:
                headers = {**signed_as(_principal(caller, partner)), "If-Match": '"1"'}
                before = await stored_counts(db)

                response = await client.request(
                    method, path.format(tier=tier["id"]), json=body, headers=headers
                )

                assert response.status_code == expected, f"{caller}: {response.text}"
                if expected == 403:
                    assert response.json()["type"] == "/problems/forbidden"
                    assert await stored_counts(db) == before, caller

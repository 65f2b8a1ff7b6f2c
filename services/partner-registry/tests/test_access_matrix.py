"""Who may do what, endpoint by endpoint: the access matrix of partners and contacts.

Callers: a channel manager (partners:write), an analyst (partners:read), a credential without partner
scopes, the partner's own credential (partners:write, bound to it) and another partner's credential.
A refused request stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prm_contracts.principal import Principal
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import (
    ANALYST,
    CHANNEL_MANAGER,
    OUTSIDER,
    a_contact,
    a_partner,
    contact_body,
    partner_body,
    partner_user,
    signed_as,
    stored_counts,
)

pytestmark = pytest.mark.asyncio


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None
    if_match: bool = False


P = "/v1/partners/{partner}"
C = "/v1/partners/{partner}/contacts/{contact}"

CALLS = {
    "list_partners": Call("GET", "/v1/partners"),
    "create_partner": Call("POST", "/v1/partners", partner_body()),
    "get_partner": Call("GET", P),
    "update_partner (presentation)": Call("PATCH", P, {"display_name": "Renamed"}, if_match=True),
    "update_partner (legal name)": Call("PATCH", P, {"legal_name": "Renamed GmbH"}, if_match=True),
    "transition_partner_status": Call("POST", P + "/status-transitions", {"to_status": "applied"}),
    "list_partner_history": Call("GET", P + "/history"),
    "list_partner_contacts": Call("GET", P + "/contacts"),
    "add_partner_contact": Call("POST", P + "/contacts", contact_body(name="New")),
    "get_partner_contact": Call("GET", C),
    "update_partner_contact": Call("PATCH", C, {"name": "Renamed"}, if_match=True),
    "remove_partner_contact": Call("DELETE", C),
}

CALLERS = ["channel manager", "analyst", "outsider", "own partner", "other partner"]

# expected status per call, in the order of CALLERS
MATRIX = {
    "list_partners": (200, 200, 403, 200, 200),
    "create_partner": (201, 403, 403, 403, 403),
    "get_partner": (200, 200, 403, 200, 403),
    "update_partner (presentation)": (200, 403, 403, 200, 403),
    "update_partner (legal name)": (200, 403, 403, 403, 403),
    "transition_partner_status": (201, 403, 403, 403, 403),
    "list_partner_history": (200, 200, 403, 200, 403),
    "list_partner_contacts": (200, 200, 403, 200, 403),
    "add_partner_contact": (201, 403, 403, 201, 403),
    "get_partner_contact": (200, 200, 403, 200, 403),
    "update_partner_contact": (200, 403, 403, 200, 403),
    "remove_partner_contact": (204, 403, 403, 204, 403),
}

CASES = [
    pytest.param(call, caller, expected[i], id=f"{call} by {caller}")
    for call, expected in MATRIX.items()
    for i, caller in enumerate(CALLERS)
]


def _principal(caller: str, partner: dict[str, Any], other: dict[str, Any]) -> Principal:
    return {
        "channel manager": CHANNEL_MANAGER,
        "analyst": ANALYST,
        "outsider": OUTSIDER,
        "own partner": partner_user(partner),
        "other partner": partner_user(other),
    }[caller]


@pytest.mark.parametrize(("call_name", "caller", "expected"), CASES)
async def test_access_matrix(
    client: httpx.AsyncClient, db: AsyncSession, call_name: str, caller: str, expected: int
) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    contact = await a_contact(client, partner)
    call = CALLS[call_name]
    headers = signed_as(_principal(caller, partner, other))
    if call.if_match:
        headers["If-Match"] = '"1"'
    before = await stored_counts(db)

    response = await client.request(
        call.method,
        call.path.format(partner=partner["id"], contact=contact["id"]),
        json=call.body,
        headers=headers,
    )

    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.json()["type"] == "/problems/forbidden"
        assert await stored_counts(db) == before
    if call_name == "list_partners" and caller in {"own partner", "other partner"}:
        bound_to = partner if caller == "own partner" else other
        assert [p["id"] for p in response.json()["items"]] == [bound_to["id"]]


async def test_a_request_without_the_gateway_credential_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/partners", headers={"x-prm-principal": "forged"})

    assert response.status_code == 401

"""Who may do what with MDF, operation by operation: the `mdf` tag's rows of the incentives access matrix (kept
beside its MDF setup rather than in tests/test_access_matrix.py, whose setup builds programmes and runs; that
test enumerates the other tags, this one `mdf`, and fails when an MDF operation has no row).

Callers: a channel manager (incentives:write), an analyst (incentives:read), a credential without incentives
scopes, the partner's own credential (incentives:write, bound to it) and another partner's. Budgets are the
vendor's; a partner sees and requests/claims only on its own allocations (another's are 404, as if they did
not exist), and never allocates, decides or pays. A refused request stores nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from prm_contracts.principal import Principal
from prm_kit.testing import access_groups, undone
from sqlalchemy.ext.asyncio import AsyncSession

from .helpers import (
    ANALYST,
    CHANNEL_MANAGER,
    OUTSIDER,
    budget_body,
    claim_body,
    created,
    decided,
    eur,
    partner_user,
    request_body,
    signed_as,
    stored_counts,
)

pytestmark = pytest.mark.asyncio

CALLERS = ["channel manager", "analyst", "outsider", "own partner", "other partner"]

# operation: (method, path, expected status per caller)
MATRIX: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "create_mdf_budget": ("POST", "/v1/mdf/budgets", (201, 403, 403, 403, 403)),
    "list_mdf_budgets": ("GET", "/v1/mdf/budgets", (200, 200, 403, 403, 403)),
    "get_mdf_budget": ("GET", "/v1/mdf/budgets/{budget}", (200, 200, 403, 403, 403)),
    "create_mdf_allocation": ("POST", "/v1/mdf/budgets/{budget}/allocations", (201, 403, 403, 403, 403)),
    "list_mdf_allocations": ("GET", "/v1/mdf/allocations", (200, 200, 403, 200, 200)),
    "get_mdf_allocation": ("GET", "/v1/mdf/allocations/{allocation}", (200, 200, 403, 200, 404)),
    "create_mdf_request": ("POST", "/v1/mdf/requests", (201, 403, 403, 201, 404)),
    "list_mdf_requests": ("GET", "/v1/mdf/requests", (200, 200, 403, 200, 200)),
    "get_mdf_request": ("GET", "/v1/mdf/requests/{request}", (200, 200, 403, 200, 404)),
    "decide_mdf_request": ("POST", "/v1/mdf/requests/{request}/decision", (200, 403, 403, 403, 403)),
    "create_mdf_claim": ("POST", "/v1/mdf/requests/{approved}/claims", (201, 403, 403, 201, 404)),
    "list_mdf_claims": ("GET", "/v1/mdf/claims", (200, 200, 403, 200, 200)),
    "get_mdf_claim": ("GET", "/v1/mdf/claims/{claim}", (200, 200, 403, 200, 404)),
    "decide_mdf_claim": ("POST", "/v1/mdf/claims/{claim}/decision", (200, 403, 403, 403, 403)),
    "pay_mdf_claim": ("POST", "/v1/mdf/claims/{approved_claim}/payment", (200, 403, 403, 403, 403)),
}


async def test_every_mdf_operation_has_a_row(app: FastAPI) -> None:
    operations = {
        operation["operationId"]
        for item in app.openapi()["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "mdf" in operation.get("tags", [])
    }

    assert operations == set(MATRIX)


async def _arranged(client: httpx.AsyncClient, operation: str, path: str, partner: UUID) -> dict[str, Any]:
    """Only what the operation needs (a budget, an allocation to `partner`, requests and claims), to keep the
    matrix cheap."""
    ids = {"budget": (await created(client, "/v1/mdf/budgets", budget_body("10000.00")))["id"]}
    if "{budget}" not in path and operation != "create_mdf_budget":
        allocation = await created(
            client,
            f"/v1/mdf/budgets/{ids['budget']}/allocations",
            {"partner_id": str(partner), "amount": eur("5000.00")},
        )
        ids["allocation"] = allocation["id"]
        listing = operation.startswith("list_mdf_")
        if "{request}" in path or listing:
            ids["request"] = (await created(client, "/v1/mdf/requests", request_body(allocation["id"])))["id"]
        if "claim" in operation:
            approved = await created(client, "/v1/mdf/requests", request_body(allocation["id"]))
            ids["approved"] = (await decided(client, f"/v1/mdf/requests/{approved['id']}/decision"))["id"]
        if "{claim}" in path or "{approved_claim}" in path or operation == "list_mdf_claims":
            claim = await created(client, f"/v1/mdf/requests/{ids['approved']}/claims", claim_body("100.00"))
            ids["claim"] = ids["approved_claim"] = claim["id"]
            if "{approved_claim}" in path:
                await decided(client, f"/v1/mdf/claims/{claim['id']}/decision")
    return ids


@pytest.mark.parametrize("operation", MATRIX)
async def test_mdf_access_matrix(client: httpx.AsyncClient, db: AsyncSession, operation: str) -> None:
    partner, other = uuid4(), uuid4()
    method, path, expected_by_caller = MATRIX[operation]
    for group in access_groups(CALLERS, expected_by_caller, method):
        async with undone(db):
            ids = await _arranged(client, operation, path, partner)
            bodies: dict[str, dict[str, Any]] = {
                "create_mdf_budget": budget_body(),
                "create_mdf_allocation": {"partner_id": str(uuid4()), "amount": eur("10.00")},
                "create_mdf_request": request_body(ids.get("allocation", ""), "10.00"),
                "decide_mdf_request": {"decision": "approved"},
                "create_mdf_claim": claim_body("10.00"),
                "decide_mdf_claim": {"decision": "approved"},
                "pay_mdf_claim": {"payment_reference": "SEPA-1"},
            }
            for caller, expected in group:
                principal: Principal = {
                    "channel manager": CHANNEL_MANAGER,
                    "analyst": ANALYST,
                    "outsider": OUTSIDER,
                    "own partner": partner_user(partner),
                    "other partner": partner_user(other),
                }[caller]
                before = await stored_counts(db)

                response = await client.request(
                    method, path.format(**ids), json=bodies.get(operation), headers=signed_as(principal)
                )

                assert response.status_code == expected, f"{caller}: {response.text}"
                if expected in {403, 404}:
                    assert await stored_counts(db) == before, caller
                if expected == 403:
                    assert response.json()["type"].endswith("/problems/forbidden")
                listing = operation.startswith("list_mdf_") and operation != "list_mdf_budgets"
                if listing and caller.endswith("partner"):
                    owners = {item["partner_id"] for item in response.json()["items"]}
                    assert owners == ({str(partner)} if caller == "own partner" else set())


async def test_a_partner_filtering_for_another_partner_sees_nothing(client: httpx.AsyncClient) -> None:
    partner, other = uuid4(), uuid4()
    budget = await created(client, "/v1/mdf/budgets", budget_body())
    await created(
        client,
        f"/v1/mdf/budgets/{budget['id']}/allocations",
        {"partner_id": str(other), "amount": eur("1.00")},
    )

    response = await client.get(
        "/v1/mdf/allocations", params={"partner_id": str(other)}, headers=signed_as(partner_user(partner))
    )

    assert response.json() == {"items": [], "next_cursor": None}

"""An active partner must have a current agreement: the guard on the lifecycle's way into `active`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    a_complete_checklist,
    a_partner,
    an_agreement,
    days_from_today,
    moved_to,
    stored_counts,
)
from ..fakes import Clock

pytestmark = pytest.mark.asyncio


async def _activate(client: httpx.AsyncClient, partner: dict[str, Any]) -> httpx.Response:
    return await client.post(
        f"/v1/partners/{partner['id']}/status-transitions", json={"to_status": "active", "reason": "Go live"}
    )


@pytest.mark.parametrize(
    "agreement",
    [
        None,
        {"status": "draft", "signed_on": None},
        {"starts_on": days_from_today(1), "signed_on": days_from_today(0)},  # not started yet
        {"starts_on": days_from_today(-400), "ends_on": days_from_today(-1)},  # ended yesterday
    ],
    ids=["none", "a draft", "starting tomorrow", "ended yesterday"],
)
async def test_a_partner_without_a_current_agreement_cannot_become_active(
    client: httpx.AsyncClient, db: AsyncSession, agreement: dict[str, Any] | None
) -> None:
    partner = await moved_to(client, await a_partner(client), "onboarding")
    await a_complete_checklist(client, partner)  # onboarding's own rule for the way into active
    if agreement is not None:
        await an_agreement(client, partner, **agreement)
    before = await stored_counts(db)

    response = await _activate(client, partner)

    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "/problems/no-current-agreement"
    assert "current agreement" in problem["detail"]
    assert f"/v1/partners/{partner['id']}/agreements" in problem["detail"]
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/partners/{partner['id']}")).json()["status"] == "onboarding"


@pytest.mark.parametrize(
    "agreement",
    [
        {},
        {"starts_on": days_from_today(0), "signed_on": days_from_today(0)},  # starts today
        {"starts_on": days_from_today(-365), "ends_on": days_from_today(0)},  # ends today
    ],
    ids=["open-ended", "starting today", "ending today"],
)
async def test_a_partner_with_a_current_agreement_becomes_active(
    client: httpx.AsyncClient, agreement: dict[str, Any]
) -> None:
    partner = await moved_to(client, await a_partner(client), "onboarding")
    await a_complete_checklist(client, partner)
    await an_agreement(client, partner, **agreement)

    response = await _activate(client, partner)

    assert response.status_code == 201, response.text
    assert response.json()["partner"]["status"] == "active"


async def test_a_suspended_partner_whose_agreement_was_terminated_cannot_return(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await moved_to(client, await a_partner(client), "suspended")
    agreement = (await client.get(f"/v1/partners/{partner['id']}/agreements")).json()["items"][0]
    await client.patch(
        f"/v1/partners/{partner['id']}/agreements/{agreement['id']}",
        json={"status": "terminated"},
        headers={"If-Match": '"1"'},
    )

    refused = await _activate(client, partner)
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/no-current-agreement"

    await an_agreement(client, partner)  # a new agreement
    assert (await _activate(client, partner)).status_code == 201


async def test_another_partners_agreement_does_not_count(client: httpx.AsyncClient) -> None:
    partner = await moved_to(client, await a_partner(client), "onboarding")
    await a_complete_checklist(client, partner)
    await an_agreement(client, await a_partner(client))

    assert (await _activate(client, partner)).status_code == 409


async def test_the_guard_checks_only_the_way_into_active(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)

    for status in ("applied", "onboarding"):
        response = await client.post(
            f"/v1/partners/{partner['id']}/status-transitions", json={"to_status": status}
        )
        assert response.status_code == 201, response.text
    terminated = await client.post(
        f"/v1/partners/{partner['id']}/status-transitions",
        json={"to_status": "terminated", "reason": "No deal"},
    )
    assert terminated.status_code == 201


async def test_active_partners_whose_agreement_ran_out_are_listed_for_renewal(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    renewing = await moved_to(client, await a_partner(client, display_name="Renewing"), "active")
    steady = await moved_to(client, await a_partner(client, display_name="Steady"), "active")
    await a_partner(client, display_name="Prospect")
    # Renewing's only agreement runs 10 more days; Steady's runs on
    agreements = (await client.get(f"/v1/partners/{renewing['id']}/agreements")).json()["items"]
    response = await client.patch(
        f"/v1/partners/{renewing['id']}/agreements/{agreements[0]['id']}",
        json={"ends_on": days_from_today(10)},
        headers={"If-Match": f'"{agreements[0]["version"]}"'},
    )
    assert response.status_code == 200, response.text

    async def names(**params: Any) -> list[str]:
        listed = await client.get("/v1/partners", params=params)
        assert listed.status_code == 200, listed.text
        return [p["display_name"] for p in listed.json()["items"]]

    assert await names(status="active", has_current_agreement="false") == []
    assert await names(has_current_agreement="true") == ["Renewing", "Steady"]

    Clock(now=datetime.now(UTC) + timedelta(days=11)).install(app)

    assert await names(status="active", has_current_agreement="false") == ["Renewing"]
    assert await names(has_current_agreement="false") == ["Prospect", "Renewing"]
    assert await names(has_current_agreement="true") == ["Steady"]
    assert steady["status"] == "active"

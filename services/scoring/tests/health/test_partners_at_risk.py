"""Partners at risk: computed at each refresh, listed most severe first, filtered by the partner's tier, type
and region, and a partner's own key sees only itself."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from ..factories import is_problem, partner_user, signed_as
from ..fake_analytics import FakeAnalytics
from ..scores.helpers import LadderRegistry, add_kpis, queue, refresh

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("clock")]


async def three_partners(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> tuple[UUID, UUID, UUID]:
    """critical: a high-severity open violation (a gold VAR in DACH); warning: attainment 0.62 < 0.8 (a
    silver reseller in Nordics); healthy: nothing fires (a silver reseller in DACH)."""
    critical = registry.add_partner(tier="gold", partner_type="var", region="DACH")
    registry.severities[str(critical)] = {"high": 1}
    warning = registry.add_partner(tier="silver", region="Nordics")
    healthy = registry.add_partner(tier="silver", region="DACH")
    for partner in (critical, warning, healthy):
        add_kpis(analytics, partner, revenue_12m="100.00")
    add_kpis(analytics, warning, revenue_12m="100.00", latest={"target_attainment": "0.62"})
    await queue(client, critical, warning, healthy)
    assert await refresh(app) == 3
    return critical, warning, healthy


async def test_partners_at_risk_come_most_severe_first_with_their_signals(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    critical, warning, _ = await three_partners(app, client, registry, analytics)

    response = await client.get("/v1/health-signals")

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["partner_id"], i["health"]["level"]) for i in items] == [
        (str(critical), "critical"),
        (str(warning), "warning"),
    ]
    assert (
        items[0]["health"]["signals"][0]["reason"]
        == "1 open compliance violation, 1 of them high or critical"
    )
    assert items[1]["health"]["signals"][0]["values"] == {
        "period": "2026-Q3",
        "actual": "0.62",
        "threshold": "0.8",
    }
    assert items[0]["partner"]["tier"] == "gold"


async def test_partners_at_risk_are_filtered_by_tier_type_region_and_paged(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    critical, warning, _ = await three_partners(app, client, registry, analytics)

    async def ids(**params: str) -> list[str]:
        return [
            i["partner_id"] for i in (await client.get("/v1/health-signals", params=params)).json()["items"]
        ]

    assert await ids(tier="silver") == [str(warning)]
    assert await ids(partner_type="var") == [str(critical)]
    assert await ids(region="DACH") == [str(critical)]
    assert await ids(min_severity="critical") == [str(critical)]
    first = (await client.get("/v1/health-signals", params={"limit": "1"})).json()
    second = (
        await client.get("/v1/health-signals", params={"limit": "1", "cursor": first["next_cursor"]})
    ).json()
    assert [i["partner_id"] for i in first["items"] + second["items"]] == [str(critical), str(warning)]
    assert second["next_cursor"] is None


async def test_a_bad_filter_is_refused(client: httpx.AsyncClient) -> None:
    assert is_problem(
        await client.get("/v1/health-signals", params={"partner_type": "pirate"}), 422, "validation-error"
    )
    assert is_problem(
        await client.get("/v1/health-signals", params={"min_severity": "meh"}), 422, "validation-error"
    )


async def test_a_partner_sees_only_its_own_health(
    app: FastAPI, client: httpx.AsyncClient, registry: LadderRegistry, analytics: FakeAnalytics
) -> None:
    critical, warning, _ = await three_partners(app, client, registry, analytics)
    headers = signed_as(partner_user(warning, "scoring:read"))

    mine = await client.get("/v1/health-signals", headers=headers)
    theirs = await client.get("/v1/health-signals", params={"partner_id": str(critical)}, headers=headers)

    assert [i["partner_id"] for i in mine.json()["items"]] == [str(warning)]
    assert theirs.json()["items"] == []

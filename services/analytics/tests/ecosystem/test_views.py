"""Leaderboards, revenue by segment and concentration over a few partners arranged by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import httpx
import pytest
from analytics.partners.models import PartnerDimension
from prm_contracts.principal import Principal
from prm_kit.testing import internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

from ..kpis.test_snapshot import sale
from ..sales.factories import Sender, sales_reported
from ..sales.fakes import FakeRegistry

pytestmark = pytest.mark.asyncio


async def _partners(sender: Sender, registry: FakeRegistry, db: AsyncSession) -> dict[str, UUID]:
    """gold/reseller: 1000 and 500 of revenue; silver/distributor: 300; and 8 small partners of 10 each
    without replica (11 partners: the top 10 % is ⌈1.1⌉ = 2)."""
    ids: dict[str, UUID] = {}
    for name, revenue, tier, kind in (
        ("a", "1000.00", "gold", "reseller"),
        ("b", "500.00", "gold", "reseller"),
        ("c", "300.00", "silver", "distributor"),
    ):
        partner_id, secret = registry.partner()
        assert (
            await sender.send(partner_id, secret, sales_reported(sale("2026-07-03", revenue, "X")))
        ).status_code == 200
        db.add(
            PartnerDimension(
                partner_id=partner_id,
                name=name,
                tier=tier,
                partner_type=kind,
                region="DACH",
                updated_at=datetime.now(UTC),
            )
        )
        ids[name] = partner_id
    for n in range(8):
        partner_id, secret = registry.partner()
        assert (
            await sender.send(partner_id, secret, sales_reported(sale("2026-07-04", "10.00", "Y")))
        ).status_code == 200
        ids[f"small{n}"] = partner_id
    await db.flush()
    return ids


async def test_a_leaderboard_ranks_by_the_kpi_within_the_filter(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    ids = await _partners(sender, registry, db)

    first = await client.get(
        "/v1/leaderboards", params={"kpi": "revenue", "period": "2026-07", "tier": "gold", "limit": 1}
    )
    assert first.status_code == 200, first.text
    [top] = first.json()["items"]
    assert (top["rank"], top["partner_id"], top["value"]["value"]) == (1, str(ids["a"]), "1000.0000")
    second = await client.get(
        "/v1/leaderboards",
        params={"kpi": "revenue", "period": "2026-07", "tier": "gold", "cursor": first.json()["next_cursor"]},
    )
    assert [(e["rank"], e["partner_id"]) for e in second.json()["items"]] == [(2, str(ids["b"]))]
    assert second.json()["next_cursor"] is None

    everyone = await client.get(
        "/v1/leaderboards", params={"kpi": "revenue", "period": "2026-07", "limit": 100}
    )
    assert len(everyone.json()["items"]) == 11


async def test_revenue_by_tier_and_concentration(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    await _partners(sender, registry, db)

    by_tier = (await client.get("/v1/ecosystem/revenue", params={"by": "tier", "period": "2026-07"})).json()
    # gold 1000 + 500; silver 300; unknown 8 x 10
    assert [(s["segment"], s["revenue"]["value"], s["partners"]) for s in by_tier["segments"]] == [
        ("gold", "1500.0000", 2),
        ("silver", "300.0000", 1),
        ("unknown", "80.0000", 8),
    ]
    concentration = (await client.get("/v1/ecosystem/concentration", params={"period": "2026-07"})).json()
    # top 2 of 11: (1000 + 500) ÷ 1880 = 0.797872…
    assert (concentration["partners"], concentration["top_partners"]) == (11, 2)
    assert concentration["top_share"]["value"] == "0.797872"


async def test_partners_never_see_ecosystem_views(client: httpx.AsyncClient) -> None:
    partner = internal_headers(
        Principal(subject="key:p", scopes=frozenset({"analytics:read"}), partner_id=uuid4())
    )
    for path, params in (
        ("/v1/leaderboards", {"kpi": "revenue", "period": "2026"}),
        ("/v1/ecosystem/concentration", {"period": "2026"}),
    ):
        response = await client.get(path, params=params, headers=partner)
        assert response.status_code == 403

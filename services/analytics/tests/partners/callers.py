"""Who calls in the tests of analytics' inputs, and how to look at what was stored."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from analytics.models import (
    AcquisitionSpend,
    DealRegistrationOutcome,
    FxRate,
    MarketSize,
    PartnerDimension,
    PartnerStatusPeriod,
    PartnerTierPeriod,
    SurveyResponse,
    Target,
)
from prm_contracts.principal import Principal
from prm_kit.testing import internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

ANALYST = Principal(subject="user:analyst", scopes=frozenset({"analytics:read"}))
CHANNEL_MANAGER = Principal(subject="user:cm", scopes=frozenset({"analytics:write"}))
OUTSIDER = Principal(subject="key:partners-only", scopes=frozenset({"partners:read"}))
SERVICE = Principal(subject="service:incentives", scopes=frozenset({"internal"}))


def partner_key(partner_id: uuid.UUID, *scopes: str) -> Principal:
    """A credential bound to one partner (by default allowed to read and write analytics)."""
    return Principal(
        subject=f"key:partner-{str(partner_id)[:8]}",
        scopes=frozenset(scopes or {"analytics:write"}),
        partner_id=partner_id,
    )


def signed_as(principal: Principal) -> dict[str, str]:
    return internal_headers(principal)


def problem_type(response: httpx.Response) -> str:
    """The slug of a problem answer's type (the base of problem type URIs may be configured)."""
    assert response.headers["content-type"] == "application/problem+json", response.text
    return str(response.json()["type"]).rsplit("/", 1)[-1]


INPUT_TABLES: tuple[Any, ...] = (
    FxRate,
    Target,
    MarketSize,
    SurveyResponse,
    AcquisitionSpend,
    PartnerDimension,
    PartnerStatusPeriod,
    PartnerTierPeriod,
    DealRegistrationOutcome,
)


async def stored_counts(db: AsyncSession) -> dict[str, int]:
    """Rows per table of analytics' inputs and replica: a refused request leaves these as they were."""
    counts = {}
    for model in INPUT_TABLES:
        counts[model.__tablename__] = int(await db.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
    return counts

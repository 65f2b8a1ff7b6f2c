"""What the score, health and tier-recommendation tests share: a registry with a tier ladder, certifications
and the tier-change endpoint (over `httpx.MockTransport`, contract bodies), KPI snapshots, events, and a
way to drive the refresh worker on the test's transaction."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from prm_contracts.problem import PROBLEM_MEDIA_TYPE
from scoring.models import PartnerScore, ScoreRefresh, TierRecommendation
from scoring.scores.worker import refresh_once
from sqlalchemy.ext.asyncio import AsyncSession

from ..fake_analytics import FakeAnalytics, kpi_snapshot
from ..fakes import NOW, FakeRegistry

_CERTIFICATIONS = re.compile(r"^/v1/partners/([0-9a-f-]{36})/certifications$")
_TIER_CHANGES = re.compile(r"^/v1/partners/([0-9a-f-]{36})/tier-changes$")
_SUMMARY = re.compile(r"^/v1/partners/([0-9a-f-]{36})/compliance/summary$")

# The refresh day of most tests: Q4 2026 runs, so the last complete quarter is 2026-Q3, the one before 2026-Q2,
# and the trailing 12 months are 2025-11-16..2026-11-15.
TODAY = date(2026, 11, 15)
REFRESH_AT = datetime(2026, 11, 15, 6, 0, tzinfo=UTC)
# when events, assessments, runs and applications of the tests happen (the `clock` fixture)
EVENT_AT = datetime(2026, 11, 15, 5, 0, tzinfo=UTC)
TRAILING = (date(2025, 11, 16), date(2026, 11, 15))


def tier_body(
    key: str,
    rank: int,
    *,
    revenue: str | None = None,
    staff: int | None = None,
    criteria: tuple[str, ...] = (),
    currency: str = "EUR",
) -> dict[str, Any]:
    """A TierOut body as the registry answers it."""
    return {
        "id": str(uuid4()),
        "key": key,
        "name": key.capitalize(),
        "rank": rank,
        "requirements": {
            "min_trailing_12m_revenue": None
            if revenue is None
            else {"amount": revenue, "currency": currency},
            "min_certified_staff": staff,
            "criteria": [{"name": name, "description": f"{name}, signed."} for name in criteria],
        },
        "benefits": {"description": None, "discount_percent": None, "rebate_percent": None},
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }


# silver: no requirement; gold: 1,000,000.00 EUR and 5 certified staff (+ a named criterion);
# platinum: 5,000,000.00 EUR and 20 certified staff
LADDER = [
    tier_body("silver", 1),
    tier_body("gold", 2, revenue="1000000.00", staff=5, criteria=("Joint business plan",)),
    tier_body("platinum", 3, revenue="5000000.00", staff=20),
]


def certification_body(
    partner_id: UUID, *, contact: bool = True, expires_on: date | None = None
) -> dict[str, Any]:
    return {
        "id": str(uuid4()),
        "partner_id": str(partner_id),
        "contact_id": str(uuid4()) if contact else None,
        "programme": "Network Security Specialist",
        "level": None,
        "issued_on": "2025-01-10",
        "expires_on": None if expires_on is None else expires_on.isoformat(),
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _problem(status: int, slug: str, detail: str, **extensions: Any) -> httpx.Response:
    body = {"type": f"/problems/{slug}", "title": slug, "status": status, "detail": detail, **extensions}
    return httpx.Response(status, content=json.dumps(body), headers={"content-type": PROBLEM_MEDIA_TYPE})


@dataclass
class LadderRegistry(FakeRegistry):
    """The registry with a tier ladder, certifications, violations by severity and the tier-change endpoint
    (which, like the real one, applies a recommendation once and answers 409 naming the change after)."""

    ladder: list[dict[str, Any]] = field(default_factory=lambda: list(LADDER))
    certifications: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    severities: dict[str, dict[str, int]] = field(default_factory=dict)
    tier_changes: list[dict[str, Any]] = field(default_factory=list)
    tier_change_by_recommendation: dict[str, str] = field(default_factory=dict)

    def certify(self, partner_id: UUID, people: int, *, expires_on: date | None = None) -> None:
        self.certifications.setdefault(str(partner_id), []).extend(
            certification_body(partner_id, expires_on=expires_on) for _ in range(people)
        )

    def _answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if self.reachable and request.method == "GET" and path == "/v1/tiers":
            self.requests.append(f"GET {path}")
            return httpx.Response(200, json={"items": self.ladder, "next_cursor": None})
        if self.reachable and (match := _CERTIFICATIONS.match(path)) and match.group(1) in self.partners:
            self.requests.append(f"GET {path}")
            return httpx.Response(
                200, json={"items": self.certifications.get(match.group(1), []), "next_cursor": None}
            )
        if self.reachable and (match := _SUMMARY.match(path)) and match.group(1) in self.severities:
            response = super()._answer(request)
            summary = response.json()
            summary["open_violations"] = {"low": 0, "medium": 0, "high": 0, "critical": 0} | self.severities[
                match.group(1)
            ]
            summary["open_violations_total"] = sum(summary["open_violations"].values())
            return httpx.Response(200, json=summary)
        if self.reachable and request.method == "POST" and (match := _TIER_CHANGES.match(path)):
            return self._change_tier(match.group(1), json.loads(request.content))
        return super()._answer(request)

    def _change_tier(self, partner_id: str, body: dict[str, Any]) -> httpx.Response:
        self.requests.append(f"POST /v1/partners/{partner_id}/tier-changes")
        partner = self.partners.get(partner_id)
        if partner is None:
            return _problem(404, "not-found", f"no partner {partner_id}")
        recommendation = body.get("recommendation_id")
        if recommendation in self.tier_change_by_recommendation:
            return _problem(
                409,
                "recommendation-already-applied",
                f"recommendation {recommendation} was applied",
                tier_change_id=self.tier_change_by_recommendation[recommendation],
            )
        if partner["tier"] == body["tier"]:
            return _problem(409, "tier-unchanged", f"partner {partner_id} already holds {body['tier']}")
        change = {
            "id": str(uuid4()),
            "partner_id": partner_id,
            "from_tier": partner["tier"],
            "to_tier": body["tier"],
            "effective_on": "2026-11-15",
            "reason": body["reason"],
            "source": body["source"],
            "recommendation_id": recommendation,
            "changed_by": "service:scoring",
            "changed_at": NOW,
            "partner_version": 2,
        }
        partner["tier"] = body["tier"]
        self.tier_changes.append(change)
        if recommendation:
            self.tier_change_by_recommendation[recommendation] = change["id"]
        return httpx.Response(201, json=change)


def add_kpis(
    analytics: FakeAnalytics,
    partner_id: UUID,
    *,
    revenue_12m: str | None = None,
    last_sale_on: date | None = date(2026, 11, 10),
    latest: dict[str, str] | None = None,
    previous: dict[str, str] | None = None,
) -> None:
    """Snapshots of 2026-Q3 (`latest`), 2026-Q2 (`previous`) and the trailing 12 months to TODAY."""
    analytics.add(
        kpi_snapshot(partner_id, TRAILING[0], TRAILING[1], revenue=revenue_12m, last_sale_on=last_sale_on)
    )
    analytics.add(
        kpi_snapshot(partner_id, date(2026, 7, 1), date(2026, 9, 30), period="2026-Q3", **(latest or {}))
    )
    analytics.add(
        kpi_snapshot(partner_id, date(2026, 4, 1), date(2026, 6, 30), period="2026-Q2", **(previous or {}))
    )


def event(type_: str, data: dict[str, Any], *, source: str = "partner-registry") -> dict[str, Any]:
    return {"id": str(uuid4()), "type": type_, "occurred_at": NOW, "source": source, "data": data}


async def refresh(app: FastAPI, now: datetime = REFRESH_AT) -> int:
    """One round of the refresh worker, on the test's transaction (the app's session factory of the test)."""
    return await refresh_once(app, now=now)


async def queued(db: AsyncSession) -> dict[UUID, Any]:
    rows = await db.execute(sa.select(ScoreRefresh))
    return {row.ScoreRefresh.partner_id: row.ScoreRefresh for row in rows}


async def counts(db: AsyncSession) -> dict[str, int]:
    found = {}
    for model in (PartnerScore, ScoreRefresh, TierRecommendation):
        found[model.__tablename__] = int(await db.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
    return found


async def queue(client: httpx.AsyncClient, *partner_ids: UUID) -> None:
    """Mark partners stale the way the registry does: a `partner.tier_changed`-like event for each."""
    events = [event("partner.status_changed", {"partner_id": str(p)}) for p in partner_ids]
    response = await client.post("/internal/events", json={"events": events})
    assert response.status_code == 200, response.text


async def stored_recommendation(db: AsyncSession, partner_id: UUID, *, action: str = "promote") -> UUID:
    """An open recommendation written straight to the table (for tests that need one without a refresh)."""
    recommendation = TierRecommendation(
        id=uuid4(),
        partner_id=partner_id,
        current_tier="silver",
        recommended_tier="gold" if action == "promote" else "silver",
        action=action,
        reasons=["meets every measured requirement of gold"],
        gap={
            "next_tier": "gold",
            "unmet": [],
            "to_confirm": [],
            "summary": "meets every measured requirement of gold",
        },
        demotion_risk=[],
        revenue_amount=None,
        revenue_currency=None,
        certified_staff=None,
        status="open",
        applied_by=None,
        applied_at=None,
        tier_change_id=None,
        version=1,
        created_at=REFRESH_AT,
        updated_at=REFRESH_AT,
    )
    db.add(recommendation)
    await db.flush()
    return recommendation.id

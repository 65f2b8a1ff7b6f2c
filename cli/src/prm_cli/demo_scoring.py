"""The scoring demo loader: through the public API, after the registry's demo set.

- a draft version 2 of the seeded `partner-evaluation` model (published version 1 stays current), copied from
  version 1 with technical capability weighed higher, to try with what-if re-scoring;
- an assessment of every active or suspended demo partner under version 1, its inputs derived from the
  partner's registry record (so grades vary with the companies: small referral agents score low, large
  distributors high);
- one improvement plan, for the active partner with the lowest total, starting today.

Health signals and tier recommendations have their own loader, `prm_cli.demo_scoring_health` (name
`scoring-health`), which runs after analytics' sales; the marker file runs it on the next start of a data
folder loaded before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from prm_cli.demo_data.api import Api, Json

MODEL_NAME = "partner-evaluation"
ASSESSED_STATUSES = ["active", "suspended"]
# certified engineers a partner of each tier has, for the technical-capability criterion
ENGINEERS_BY_TIER = {"platinum": 5, "gold": 4, "silver": 2, "registered": 1}
PLAN_DAYS = 90
DRAFT_NOTES = "Draft for the security push: technical capability weighs 4 instead of 2."


@dataclass(frozen=True)
class Assessed:
    partner: Json
    total: Decimal | None


async def load(client: httpx.AsyncClient) -> None:
    """Create the scoring demo set through the API `client` points at (an admin credential)."""
    api = Api(client)
    today = datetime.now(UTC).date()
    model = await evaluation_model(api)
    await add_draft_version(api, model)
    assessed = [await assess(api, partner, today) for partner in await demo_partners(api)]
    weakest = min(
        (a for a in assessed if a.partner["status"] == "active" and a.total is not None),
        key=lambda a: (a.total, a.partner["display_name"]),
    )
    await api.post("/v1/improvement-plans", plan_body(weakest.partner, today), step="improvement plan")


async def evaluation_model(api: Api) -> Json:
    page = await api.get("/v1/evaluation-models", limit=200)
    for model in page["items"]:
        if model["name"] == MODEL_NAME:
            found: Json = model
            return found
    raise LookupError(f"scoring has no model {MODEL_NAME!r}; its first migration seeds it")


def draft_criteria(criteria: list[Json]) -> list[Json]:
    """Version 1's criteria with the technical criterion weighing 4."""
    return [
        {**criterion, "weight": "4"} if criterion["dimension"] == "technical_capability" else criterion
        for criterion in criteria
    ]


async def add_draft_version(api: Api, model: Json) -> Json:
    published = await api.get(f"/v1/evaluation-models/{model['id']}/versions/{model['current_version']}")
    body = {
        "copy_from": published["number"],
        "criteria": draft_criteria(published["criteria"]),
        "notes": DRAFT_NOTES,
    }
    return await api.post(f"/v1/evaluation-models/{model['id']}/versions", body, step="draft model version")


async def demo_partners(api: Api) -> list[Json]:
    partners: list[Json] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"status": ASSESSED_STATUSES, "limit": 200, "sort": "display_name"}
        if cursor:
            params["cursor"] = cursor
        page = await api.get("/v1/partners", **params)
        partners += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return partners


def assessment_inputs(partner: Json, today: date) -> Json:
    """The default model's inputs read off the partner's record (`None` facts are left out: scored 0)."""
    employees = partner.get("employee_count")
    inputs: Json = {
        "segment_count": len(partner.get("segments_served") or []),
        "certified_engineers": ENGINEERS_BY_TIER.get(partner.get("tier") or "", 0),
    }
    if partner.get("year_founded") is not None:
        inputs["years_in_business"] = max(today.year - partner["year_founded"], 0)
    if employees is not None:
        inputs["employee_count"] = employees
        inputs["has_marketing_team"] = employees >= 50
        inputs["has_support_desk"] = employees >= 20
    return inputs


def assessment_body(partner: Json, today: date) -> Json:
    inputs = assessment_inputs(partner, today)
    return {
        "partner_id": partner["id"],
        "model": MODEL_NAME,
        "model_version": 1,
        "inputs": inputs,
        "assessor": "Demo channel team",
        "assessed_on": today.isoformat(),
        "evidence_notes": "Annual partner review (demo data), inputs from the partner's record.",
        "facts": {"certified_technical_contact": inputs["certified_engineers"] >= 1},
    }


async def assess(api: Api, partner: Json, today: date) -> Assessed:
    answer = await api.post(
        "/v1/assessments", assessment_body(partner, today), step=f"assessment of {partner['display_name']}"
    )
    total = answer.get("total")
    return Assessed(partner, None if total is None else Decimal(total))


def plan_body(partner: Json, today: date) -> Json:
    """A quarter's plan: a quarter of its yearly revenue, NPS from 10 to 30, returns at most 5 %."""
    revenue = partner.get("annual_revenue") or {"amount": "400000.00", "currency": "EUR"}
    quarter = (Decimal(revenue["amount"]) / 4).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    due = (today + timedelta(days=PLAN_DAYS - 1)).isoformat()
    return {
        "partner_id": partner["id"],
        "title": f"{partner['display_name']}: back on track this quarter",
        "owner": "Demo channel team",
        "notes": "Agreed in the quarterly business review after the lowest evaluation score of the year.",
        "starts_on": today.isoformat(),
        "goals": [
            {
                "kpi": "revenue",
                "target": {"amount": str(quarter), "currency": revenue["currency"]},
                "due_on": due,
            },
            {"kpi": "nps", "target": "30", "baseline": "10", "due_on": due},
            {"kpi": "returns_ratio", "target": "0.05", "due_on": due},
        ],
    }

"""The stored score of each partner: read as one lookup, recomposed when something it depends on changed.

A partner's answer is made of three parts kept on its row: the evaluation (its latest assessment, local), and
health and tier standing (from the registry's and analytics' facts, read by the refresh worker). A new
assessment recomposes the answer in its own transaction; the worker replaces the other two parts. The
version (the ETag) moves only when the answer's content changes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from prm_contracts.principal import Principal
from prm_contracts.problem import NotFound
from prm_contracts.scoring import (
    DimensionScore,
    EvaluationSummary,
    PartnerDimensions,
    PartnerScoreOut,
    ScoreSummary,
    TierStanding,
)
from prm_contracts.tiers import TierOut
from prm_kit.db.core import is_postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.assessments import repository as assessments
from scoring.assessments.models import Assessment, AssessmentCriterion
from scoring.config import Settings
from scoring.health.rules import HealthFacts, HealthThresholds, health_of, health_rank
from scoring.scores import repository
from scoring.scores.facts import RemoteFacts, certified_staff
from scoring.scores.models import PartnerScore
from scoring.tier_recommendations import service as recommendations
from scoring.tier_recommendations.ladder import Revenue, TierFacts, as_money, standing

NO_SCORE = "no score for this partner"
MISSING_DETAIL = json.dumps(NO_SCORE)


# --- reading ------------------------------------------------------------------------------------------------


def _visible(viewer: Principal, partner_id: UUID) -> bool:
    return viewer.partner_id is None or viewer.partner_id == partner_id


async def stored_answer(
    session: AsyncSession, partner_id: UUID, *, viewer: Principal, held: Sequence[int] = ()
) -> tuple[int, str | None]:
    """The stored answer's version and the answer, None when the caller holds that version (`held`, from
    If-None-Match: it answers 304); another partner's is as unknown to a partner's own key."""
    found = await repository.answer(session, partner_id, held=held) if _visible(viewer, partner_id) else None
    if found is None:
        raise NotFound(f"scoring has no score for partner {partner_id} (never assessed nor heard of)")
    return found


async def batch_answer(session: AsyncSession, partner_ids: list[UUID], *, viewer: Principal) -> bytes:
    """The batch answer's JSON, each stored summary spliced in as stored (nothing parsed again): made by the
    database on PostgreSQL, here from the summaries on SQLite."""
    if is_postgresql(session):
        return await repository.batch_answer(
            session, partner_ids, only=viewer.partner_id, missing_detail=MISSING_DETAIL
        )
    visible = [partner_id for partner_id in dict.fromkeys(partner_ids) if _visible(viewer, partner_id)]
    return batch_body(partner_ids, await repository.summaries(session, visible))


def batch_body(partner_ids: list[UUID], found: dict[UUID, str]) -> bytes:
    """The bytes repository._BATCH makes on PostgreSQL, from the summaries found."""
    items = [
        f'{{"partner_id":"{partner_id}","found":true,"score":{found[partner_id]},"detail":null}}'
        if partner_id in found
        else f'{{"partner_id":"{partner_id}","found":false,"score":null,"detail":{MISSING_DETAIL}}}'
        for partner_id in partner_ids
    ]
    return ('{"items":[' + ",".join(items) + "]}").encode()


# --- composing ----------------------------------------------------------------------------------------------


def evaluation_summary(assessment: Assessment, criteria: list[AssessmentCriterion]) -> EvaluationSummary:
    """The assessment summed up by dimension, in the order the dimensions first appear."""
    contribution: dict[str, Decimal] = defaultdict(Decimal)
    weight: dict[str, Decimal] = defaultdict(Decimal)
    for criterion in criteria:
        if criterion.weight is None:
            continue  # excluded or missing: no part of the total
        weight[criterion.dimension] += criterion.weight
        if criterion.contribution is not None:  # None throughout an incomplete assessment
            contribution[criterion.dimension] += criterion.contribution
    return EvaluationSummary(
        assessment_id=assessment.id,
        model=assessment.model_name,
        model_version=assessment.model_version_number,
        total=assessment.total,
        grade=assessment.grade,
        complete=assessment.complete,
        gates_passed=assessment.gates_passed,
        assessed_on=assessment.assessed_on,
        dimensions=[
            DimensionScore(
                dimension=name,
                contribution=contribution[name] if assessment.complete else None,
                weight=weight[name],
            )
            for name in weight
        ],
    )


def answer_of(row: PartnerScore) -> str:
    """The answer of `GET /v1/scores/partners/{id}` as JSON text, from the row's parts."""
    partner = (
        None
        if row.partner_type is None
        else PartnerDimensions(
            partner_type=row.partner_type,
            status=row.status or "",
            tier=row.tier,
            country=row.country or "",
            region=row.region,
        )
    )
    out = PartnerScoreOut.model_validate(
        {
            "partner_id": row.partner_id,
            "partner": partner,
            "evaluation": row.evaluation,
            "health": row.health,
            "tier": row.tier_standing,
            "computed_at": row.computed_at,
        }
    )
    return out.model_dump_json()


def summary_of(row: PartnerScore) -> str:
    """The batch item's score: the headline of each part of the answer."""
    evaluation, health, tier = row.evaluation or {}, row.health or {}, row.tier_standing or {}
    return ScoreSummary.model_validate(
        {
            "total": evaluation.get("total"),
            "grade": evaluation.get("grade"),
            "model": evaluation.get("model"),
            "model_version": evaluation.get("model_version"),
            "health": health.get("level"),
            "signals": [signal["kind"] for signal in health.get("signals", [])],
            "current_tier": tier.get("current_tier"),
            "recommended_tier": tier.get("recommended_tier"),
            "tier_action": tier.get("action"),
            "tier_gap": tier["gap"]["summary"] if tier else None,
            "computed_at": row.computed_at,
            "version": row.version,
        }
    ).model_dump_json()


async def _store(session: AsyncSession, row: PartnerScore, *, new: bool, now: datetime) -> None:
    """Recompose the answer (and its summary); a changed one gets `now` and the next version (its ETag)."""
    if new:
        row.computed_at, row.version = now, 1
        row.answer, row.summary = answer_of(row), summary_of(row)
        await repository.add_score(session, row)
        return
    if answer_of(row) != row.answer:
        row.computed_at, row.version = now, row.version + 1
        row.answer, row.summary = answer_of(row), summary_of(row)
    await session.flush()


def _empty_row(partner_id: UUID, now: datetime) -> PartnerScore:
    return PartnerScore(
        partner_id=partner_id,
        health_rank=0,
        evaluation=None,
        health=None,
        tier_standing=None,
        failing_since={},
        facts_as_of=None,
        answer="",
        summary="",
        version=0,
        computed_at=now,
    )


async def assessment_recorded(
    session: AsyncSession, assessment: Assessment, criteria: list[AssessmentCriterion], *, now: datetime
) -> None:
    """A new assessment is the partner's evaluation from now on (in the assessment's own transaction); a
    partner scoring has never read the facts of is queued so the worker reads them."""
    row = await repository.score_row(session, assessment.partner_id)
    new = row is None
    if row is None:
        row = _empty_row(assessment.partner_id, now)
    row.evaluation = evaluation_summary(assessment, criteria).model_dump(mode="json")
    await _store(session, row, new=new, now=now)
    if row.facts_as_of is None:
        await repository.mark_stale(session, [row.partner_id], reason="assessment", now=now)


def thresholds(settings: Settings) -> HealthThresholds:
    return HealthThresholds(
        attainment=settings.health_attainment_threshold,
        nps_drop_points=settings.health_nps_drop_points,
        no_sales_days=settings.health_no_sales_days,
        certification_days=settings.health_certification_days,
    )


def _health_facts(facts: RemoteFacts, today: date) -> HealthFacts:
    trailing = [snapshot for snapshot in facts.trailing.values() if snapshot is not None]
    return HealthFacts(
        today=today,
        latest_period=facts.latest_period.label,
        previous_period=facts.previous_period.label,
        latest=facts.latest,
        previous=facts.previous,
        last_sale_known=bool(trailing),
        last_sale_on=max((s.last_sale_on for s in trailing if s.last_sale_on), default=None),
        open_violations=facts.compliance.open_violations,
        certifications=facts.certifications,
        unavailable=facts.unavailable,
    )


def _revenue(facts: RemoteFacts) -> dict[str, Revenue]:
    found: dict[str, Revenue] = {}
    for snapshot in facts.trailing.values():
        if snapshot is not None:
            found[snapshot.currency] = Revenue(snapshot.revenue.value, snapshot.revenue.reason)
    return found


async def refresh_partner(
    session: AsyncSession,
    facts: RemoteFacts,
    *,
    ladder: list[TierOut],
    settings: Settings,
    now: datetime,
) -> None:
    """Replace the partner's health and tier standing from freshly read facts (its evaluation too, from its
    latest assessment), store its tier recommendation, and recompose its answer."""
    partner = facts.partner
    today = now.date()
    row = await repository.score_row(session, partner.id)
    new = row is None
    if row is None:
        row = _empty_row(partner.id, now)
    row.partner_type, row.status, row.tier = partner.partner_type.value, partner.status.value, partner.tier
    row.country, row.region = partner.country, partner.region

    health = health_of(_health_facts(facts, today), thresholds(settings))
    row.health, row.health_rank = health.model_dump(mode="json"), health_rank(health.level)

    revenue = _revenue(facts)
    staff = certified_staff(facts.certifications, today)
    failing_since = {key: date.fromisoformat(value) for key, value in (row.failing_since or {}).items()}
    result = standing(
        ladder,
        TierFacts(
            current_tier=partner.tier,
            revenue=revenue,
            certified_staff=staff,
            today=today,
            failing_since=failing_since,
        ),
    )
    shown = next(((c, r.amount) for c, r in sorted(revenue.items()) if r.amount is not None), None)
    revenue_money = None if shown is None else as_money(shown[1], shown[0])
    recommendation_id = await recommendations.record(
        session, partner.id, result, revenue=revenue_money, certified_staff=staff, now=now
    )
    row.tier_standing = TierStanding.model_validate(
        {
            "current_tier": result.current_tier,
            "recommended_tier": result.recommended_tier,
            "action": result.action,
            "recommendation_id": recommendation_id,
            "reasons": result.reasons,
            "gap": result.gap,
            "demotion_risk": result.demotion_risk,
            "trailing_12m_revenue": revenue_money,
            "certified_staff": staff,
            "as_of": today,
        }
    ).model_dump(mode="json")
    row.failing_since = {key: day.isoformat() for key, day in result.failing_since.items()}

    latest = await repository.latest_assessment(session, partner.id)
    if latest is not None:
        criteria = await assessments.criteria_of(session, [latest.id])
        row.evaluation = evaluation_summary(latest, criteria[latest.id]).model_dump(mode="json")
    row.facts_as_of = now
    await _store(session, row, new=new, now=now)

"""Tier recommendations: stored by each refresh of a partner, listed, and applied through the registry.

A partner has at most one `open` recommendation. A refresh that recommends the same move (same current and
recommended tier) updates it in place, reasons and gap included (a new version); a different move supersedes
it with a new one. Applying asks the registry's tier change (`source: scoring_recommendation` with the
recommendation's id, which the registry applies once) with no transaction open, then records who applied
it, when, and the registry's tier change; the registry stays the owner of tiers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from prm_contracts.clients.registry import RegistryClient
from prm_contracts.money import Money
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import AppError, NotFound
from prm_contracts.scoring import (
    TierAction,
    TierRecommendationApplicationIn,
    TierRecommendationApplicationItem,
    TierRecommendationApplicationOut,
    TierRecommendationOut,
    TierRecommendationRunIn,
    TierRecommendationRunOut,
    TierRecommendationStatus,
)
from prm_contracts.tiers import TierChangeIn, TierChangeSource
from prm_kit.db import bump_version, end_reading, ordered_id
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.scores import repository as scores
from scoring.tier_recommendations import repository
from scoring.tier_recommendations.ladder import Standing, as_money
from scoring.tier_recommendations.models import TierRecommendation

ORDER = "-created_at"
REASON_LENGTH = 2000
OPEN = TierRecommendationStatus.OPEN.value


def recommendation_out(row: TierRecommendation) -> TierRecommendationOut:
    revenue = (
        None
        if row.revenue_amount is None or row.revenue_currency is None
        else as_money(row.revenue_amount, row.revenue_currency)
    )
    return TierRecommendationOut.model_validate(
        {
            "id": row.id,
            "partner_id": row.partner_id,
            "current_tier": row.current_tier,
            "recommended_tier": row.recommended_tier,
            "action": row.action,
            "reasons": row.reasons,
            "gap": row.gap,
            "demotion_risk": row.demotion_risk,
            "trailing_12m_revenue": revenue,
            "certified_staff": row.certified_staff,
            "status": row.status,
            "applied_by": row.applied_by,
            "applied_at": row.applied_at,
            "tier_change_id": row.tier_change_id,
            "version": row.version,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


async def record(
    session: AsyncSession,
    partner_id: UUID,
    result: Standing,
    *,
    revenue: Money | None,
    certified_staff: int | None,
    now: datetime,
) -> UUID:
    """Store the partner's recommendation from a refresh; its id."""
    fields: dict[str, Any] = {
        "current_tier": result.current_tier,
        "recommended_tier": result.recommended_tier,
        "action": result.action.value,
        "reasons": result.reasons,
        "gap": result.gap.model_dump(mode="json"),
        "demotion_risk": [check.model_dump(mode="json") for check in result.demotion_risk],
        "revenue_amount": None if revenue is None else revenue.amount,
        "revenue_currency": None if revenue is None else revenue.currency,
        "certified_staff": certified_staff,
    }
    current = await repository.open_of(session, partner_id)
    if current is not None:
        same_move = (current.current_tier, current.recommended_tier, current.action) == (
            result.current_tier,
            result.recommended_tier,
            result.action.value,
        )
        if same_move:
            if any(getattr(current, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(current, name, value)
                await bump_version(session, current, at=now)
            return current.id
        current.status = TierRecommendationStatus.SUPERSEDED.value
        await bump_version(session, current, at=now)  # flushed before the new open one takes its place
    created = TierRecommendation(
        id=ordered_id(),
        partner_id=partner_id,
        status=OPEN,
        applied_by=None,
        applied_at=None,
        tier_change_id=None,
        version=1,
        created_at=now,
        updated_at=now,
        **fields,
    )
    await repository.add(session, created)
    return created.id


def _visible(row: TierRecommendation | None, viewer: Principal) -> bool:
    return row is not None and (viewer.partner_id is None or viewer.partner_id == row.partner_id)


async def get_recommendation(
    session: AsyncSession, recommendation_id: UUID, *, viewer: Principal
) -> TierRecommendationOut:
    row = await repository.by_id(session, recommendation_id)
    if row is None or not _visible(row, viewer):
        raise NotFound(f"no tier recommendation {recommendation_id}")
    return recommendation_out(row)


async def list_recommendations(
    session: AsyncSession,
    *,
    viewer: Principal,
    partner_id: UUID | None,
    status: TierRecommendationStatus | None,
    action: TierAction | None,
    current_tier: str | None,
    limit: int,
    cursor: str | None,
) -> Page[TierRecommendationOut]:
    """Newest first; a partner's own key sees its own only (another partner's as an empty list)."""
    after = keyset_position(cursor, ORDER, datetime)
    if viewer.partner_id is not None:
        if partner_id is not None and partner_id != viewer.partner_id:
            return Page[TierRecommendationOut](items=[])
        partner_id = viewer.partner_id
    rows = await repository.page(
        session,
        partner_id=partner_id,
        status=None if status is None else status.value,
        action=None if action is None else action.value,
        current_tier=current_tier,
        after=after,
        limit=limit + 1,
    )
    return page_of(
        rows, limit, out=recommendation_out, cursor_of=lambda r: keyset_cursor(ORDER, r.created_at, r.id)
    )


async def run(
    session: AsyncSession, body: TierRecommendationRunIn, *, actor: Principal, now: datetime
) -> TierRecommendationRunOut:
    """Queue the partners (or every partner scoring knows) for a refresh, which stores their recommendations."""
    actor.require_vendor("run tier recommendations")
    if body.partner_ids is not None:
        await scores.mark_stale(session, body.partner_ids, reason="tier_recommendation_run", now=now)
        queued = len(set(body.partner_ids))
    else:
        queued = await scores.mark_all_stale(session, reason="tier_recommendation_run", now=now)
    return TierRecommendationRunOut(queued=queued, requested_at=now)


def _change(row: TierRecommendation, *, actor: Principal, note: str | None) -> TierChangeIn:
    reason = (
        f"Scoring recommendation {row.id} ({row.action} {row.current_tier or 'no tier'} → "
        f"{row.recommended_tier}), applied by {actor.subject}: " + "; ".join(row.reasons)
    )
    if note:
        reason = f"{note} — {reason}"
    return TierChangeIn(
        tier=row.recommended_tier or "",
        reason=reason[:REASON_LENGTH],
        source=TierChangeSource.SCORING_RECOMMENDATION,
        recommendation_id=row.id,
    )


def _refusal(row: TierRecommendation | None, recommendation_id: UUID, viewer: Principal) -> str | None:
    if row is None or not _visible(row, viewer):
        return f"no tier recommendation {recommendation_id}"
    if row.status != OPEN:
        return f"it is {row.status}" + (f" (on {row.applied_at.isoformat()})" if row.applied_at else "")
    if row.action == TierAction.KEEP.value or row.recommended_tier is None:
        return "it recommends keeping the current tier: there is nothing to apply"
    return None


async def apply(
    session: AsyncSession,
    registry: RegistryClient,
    body: TierRecommendationApplicationIn,
    *,
    actor: Principal,
    now: datetime,
) -> TierRecommendationApplicationOut:
    """Apply open recommendations one by one through the registry; one item per id, applied or why not."""
    actor.require_vendor("apply tier recommendations")
    ids = list(dict.fromkeys(body.recommendation_ids))
    found = await repository.by_ids(session, ids)
    await end_reading(session)

    outcomes: dict[UUID, TierRecommendationApplicationItem] = {}
    for recommendation_id in ids:
        row = found.get(recommendation_id)
        refusal = _refusal(row, recommendation_id, actor)
        tier_change_id: UUID | None = None
        if refusal is None and row is not None:
            try:
                tier_change_id = (
                    await registry.change_tier(row.partner_id, _change(row, actor=actor, note=body.note))
                ).id
            except AppError as error:
                already = error.extensions.get("tier_change_id")
                if already is not None and error.status == 409:
                    tier_change_id = UUID(str(already))  # applied before (say, an answer lost): record it now
                else:
                    refusal = f"the registry refused the tier change ({error.status}): {error.detail}"
        outcomes[recommendation_id] = TierRecommendationApplicationItem(
            recommendation_id=recommendation_id,
            applied=tier_change_id is not None,
            tier_change_id=tier_change_id,
            detail=refusal,
        )

    applied = {i: item.tier_change_id for i, item in outcomes.items() if item.tier_change_id is not None}
    if applied:
        rows = await repository.by_ids(session, list(applied), for_update=True)
        for recommendation_id, row in rows.items():
            if row.status == OPEN:
                row.status = TierRecommendationStatus.APPLIED.value
                row.applied_by, row.applied_at = actor.subject, now
                row.tier_change_id = applied[recommendation_id]
                await bump_version(session, row, at=now)
        await scores.mark_stale(
            session, [row.partner_id for row in rows.values()], reason="tier_applied", now=now
        )
    return TierRecommendationApplicationOut(items=[outcomes[i] for i in body.recommendation_ids])

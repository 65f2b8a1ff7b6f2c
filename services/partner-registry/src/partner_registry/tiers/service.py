"""The tier ladder, and moving partners along it with a reason and an effective day.

The ladder is the vendor's: a partner's own credential reads it (with `tiers:read`) but never changes it,
nor its own tier. A tier change locks the partner row and shares a lock on the tier row, so a tier cannot
be deleted while a partner is being moved onto it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from prm_contracts.pagination import Page
from prm_contracts.partners import FieldChange
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, NotFound, UnprocessableContent, ValidationIssue
from prm_contracts.tiers import (
    PARTNER_TIER_CHANGED,
    PartnerTierChanged,
    TierBenefits,
    TierChangeIn,
    TierChangeOut,
    TierChangeSource,
    TierIn,
    TierOut,
    TierPatch,
    TierRequirements,
)
from prm_kit.db import bump_version, ordered_id
from prm_kit.etag import check_if_match
from prm_kit.outbox import add_event
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.partners.models import HistoryKind
from partner_registry.partners.service import (
    EVENT_SOURCE,
    ensure_not_terminated,
    record_change,
    visible_partner,
)
from partner_registry.tiers import repository
from partner_registry.tiers.models import PartnerTierChange, Tier
from partner_registry.tiers.schemas import tier_change_out, tier_out

LADDER_ORDER = "rank"
HISTORY_ORDER = "-changed_at"


class TierKeyTaken(Conflict):
    slug, title = "tier-key-taken", "Tier key already used"


class TierRankTaken(Conflict):
    slug, title = "tier-rank-taken", "Tier rank already used"


class TierInUse(Conflict):
    slug, title = "tier-in-use", "Tier is held by partners"


class TierUnchanged(Conflict):
    slug, title = "tier-unchanged", "Partner already holds this tier"


class RecommendationAlreadyApplied(Conflict):
    slug, title = "recommendation-already-applied", "Tier recommendation already applied"


# --- the ladder --------------------------------------------------------------------------------------------


async def list_tiers(
    session: AsyncSession, *, keys: list[str], limit: int, cursor: str | None
) -> Page[TierOut]:
    """The ladder, lowest rank first."""
    after = keyset_position(cursor, LADDER_ORDER, int)
    tiers = await repository.tier_page(session, keys=keys, after=after, limit=limit + 1)
    return page_of(tiers, limit, out=tier_out, cursor_of=lambda t: keyset_cursor(LADDER_ORDER, t.rank, t.id))


async def visible_tier(session: AsyncSession, tier_id: UUID, *, for_update: bool = False) -> Tier:
    tier = await repository.tier_by_id(session, tier_id, for_update=for_update)
    if tier is None:
        raise NotFound(f"no tier {tier_id}")
    return tier


async def _ensure_rank_free(session: AsyncSession, rank: int, *, other_than: UUID | None) -> None:
    holder = await repository.tier_id_with_rank(session, rank, other_than=other_than)
    if holder is not None:
        raise TierRankTaken(
            f"tier {holder} already has rank {rank}; ranks order the ladder and are unique",
            existing_tier_id=str(holder),
        )


def _set_requirements(tier: Tier, requirements: TierRequirements) -> None:
    revenue = requirements.min_trailing_12m_revenue
    tier.min_revenue_amount = revenue.amount if revenue else None
    tier.min_revenue_currency = revenue.currency if revenue else None
    tier.min_certified_staff = requirements.min_certified_staff
    tier.criteria = [criterion.model_dump(mode="json") for criterion in requirements.criteria]


def _set_benefits(tier: Tier, benefits: TierBenefits) -> None:
    tier.benefits_description = benefits.description
    tier.discount_percent = benefits.discount_percent
    tier.rebate_percent = benefits.rebate_percent


async def create_tier(session: AsyncSession, body: TierIn, *, actor: Principal, now: datetime) -> Tier:
    """Add a rung to the ladder; its key and rank must be free (409)."""
    actor.require_vendor("change the tier ladder")
    holder = await repository.tier_id_with_key(session, body.key)
    if holder is not None:
        raise TierKeyTaken(f"tier {holder} already has the key {body.key!r}", existing_tier_id=str(holder))
    await _ensure_rank_free(session, body.rank, other_than=None)
    tier = Tier(
        id=uuid4(), key=body.key, name=body.name, rank=body.rank, version=1, created_at=now, updated_at=now
    )
    _set_requirements(tier, body.requirements)
    _set_benefits(tier, body.benefits)
    await repository.add_tier(session, tier)
    return tier


async def update_tier(
    session: AsyncSession,
    tier_id: UUID,
    patch: TierPatch,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Tier:
    """Change a tier read at the version `if_match` names. A patch that changes nothing changes nothing."""
    actor.require_vendor("change the tier ladder")
    tier = await visible_tier(session, tier_id, for_update=True)
    check_if_match(if_match, tier.version, required=True, resource="tier")
    before = tier_out(tier)
    if patch.rank is not None and patch.rank != tier.rank:
        await _ensure_rank_free(session, patch.rank, other_than=tier.id)
    if patch.name is not None:
        tier.name = patch.name
    if patch.rank is not None:
        tier.rank = patch.rank
    if patch.requirements is not None:
        _set_requirements(tier, patch.requirements)
    if patch.benefits is not None:
        _set_benefits(tier, patch.benefits)
    # equal values are not written back: the flush compares each column with what was loaded
    if tier_out(tier) == before:
        return tier
    await bump_version(session, tier, at=now)
    return tier


async def delete_tier(
    session: AsyncSession, tier_id: UUID, *, if_match: str | None, actor: Principal
) -> None:
    """Remove a tier no partner holds (409 otherwise: move them to another tier first)."""
    actor.require_vendor("change the tier ladder")
    tier = await visible_tier(session, tier_id, for_update=True)
    check_if_match(if_match, tier.version, required=False, resource="tier")
    holders = await repository.partners_holding(session, tier.key)
    if holders:
        raise TierInUse(
            f"{holders} partner(s) hold the tier {tier.key!r}; move them to another tier before deleting it",
            partner_count=holders,
        )
    await repository.remove_tier(session, tier)


# --- a partner's tier --------------------------------------------------------------------------------------


async def _known_tier(session: AsyncSession, key: str) -> Tier:
    tier = await repository.tier_by_key(session, key, for_share=True)
    if tier is None:
        ladder = ", ".join(await repository.tier_keys(session)) or "no tiers"
        raise UnprocessableContent(
            f"there is no tier {key!r}; the ladder has {ladder}",
            errors=[
                ValidationIssue(loc=["body", "tier"], msg="not a tier of the ladder", type="tier_unknown")
            ],
        )
    return tier


async def change_tier(
    session: AsyncSession,
    partner_id: UUID,
    body: TierChangeIn,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> PartnerTierChange:
    """Move a partner to another tier (by hand or applying a scoring recommendation): the partner's `tier`
    follows, its tier history and history record the change, and `partner.tier_changed` is announced."""
    actor.require_vendor("change its tier")
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    check_if_match(if_match, partner.version, required=False, resource="partner")
    ensure_not_terminated(partner)
    tier = await _known_tier(session, body.tier)
    if partner.tier == tier.key:
        raise TierUnchanged(f"partner {partner.id} already holds the tier {tier.key!r}", tier=tier.key)
    if body.recommendation_id is not None:
        applied = await repository.tier_change_of_recommendation(session, body.recommendation_id)
        if applied is not None:
            raise RecommendationAlreadyApplied(
                f"recommendation {body.recommendation_id} was applied on {applied.changed_at.isoformat()} "
                f"(tier change {applied.id})",
                tier_change_id=str(applied.id),
            )
    effective_on = body.effective_on or now.date()
    last = await repository.last_tier_change(session, partner.id)
    if last is not None and effective_on < last.effective_on:
        raise UnprocessableContent(
            f"effective_on {effective_on} is before the partner's last tier change, effective "
            f"{last.effective_on}; the tier history stays in order",
            errors=[
                ValidationIssue(
                    loc=["body", "effective_on"],
                    msg=f"cannot be before {last.effective_on}, the last change's effective day",
                    type="effective_on_before_last_change",
                )
            ],
        )

    from_tier = partner.tier
    partner.tier = tier.key
    await bump_version(session, partner, at=now)
    change = PartnerTierChange(
        id=ordered_id(),
        partner_id=partner.id,
        from_tier=from_tier,
        to_tier=tier.key,
        effective_on=effective_on,
        reason=body.reason,
        source=body.source.value,
        recommendation_id=body.recommendation_id,
        changed_by=actor.subject,
        changed_at=now,
        partner_version=partner.version,
    )
    await repository.add_tier_change(session, change)
    await record_change(
        session,
        partner,
        HistoryKind.TIER_CHANGED,
        actor=actor,
        at=now,
        changes=[FieldChange(field="tier", before=from_tier, after=tier.key)],
        reason=body.reason,
    )
    await add_event(
        session,
        type=PARTNER_TIER_CHANGED,
        source=EVENT_SOURCE,
        data=PartnerTierChanged(
            partner_id=partner.id,
            tier_change_id=change.id,
            from_tier=from_tier,
            to_tier=tier.key,
            effective_on=effective_on,
            reason=body.reason,
            source=TierChangeSource(body.source),
            recommendation_id=body.recommendation_id,
            changed_at=now,
        ),
    )
    return change


async def tier_history(
    session: AsyncSession, partner_id: UUID, *, viewer: Principal, limit: int, cursor: str | None
) -> Page[TierChangeOut]:
    """A partner's tier changes, newest first."""
    await visible_partner(session, partner_id, viewer=viewer)
    after = keyset_position(cursor, HISTORY_ORDER, datetime)
    changes = await repository.tier_change_page(session, partner_id, after=after, limit=limit + 1)
    return page_of(
        changes,
        limit,
        out=tier_change_out,
        cursor_of=lambda c: keyset_cursor(HISTORY_ORDER, c.changed_at, c.id),
    )

"""Partners: registration, reading, updates, the lifecycle and the history of every change.

Each change bumps the partner's version, writes one history entry and one outbox event, all in the
caller's transaction (the request's session commits once, at the end).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from prm_contracts.pagination import Page
from prm_contracts.partners import (
    PARTNER_CREATED,
    PARTNER_STATUS_CHANGED,
    PARTNER_UPDATED,
    FieldChange,
    PartnerCreated,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
    PartnerStatus,
    PartnerStatusChanged,
    PartnerUpdated,
)
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, Forbidden, NotFound
from prm_kit.db import bump_version, ordered_id
from prm_kit.db.core import is_postgresql
from prm_kit.db.json_items import page_body
from prm_kit.etag import check_if_match
from prm_kit.outbox import add_event
from prm_kit.pagination import KeysetPosition, keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.agreements.guards import require_current_agreement
from partner_registry.onboarding.guards import require_complete_checklist
from partner_registry.partners import repository
from partner_registry.partners.changes import (
    field_changes,
    fields_not_editable_by_partner,
    initial_values,
    label_key,
    registration_key,
)
from partner_registry.partners.lifecycle import check_transition
from partner_registry.partners.models import HistoryKind, Partner, PartnerHistoryEntry, PartnerSpecialisation
from partner_registry.partners.schemas import (
    HistoryEntryOut,
    PartnerFilters,
    PartnerSort,
    StatusTransitionIn,
    StatusTransitionOut,
    canonical_amount,
    history_entry_out,
    partner_item,
    partner_out,
)

EVENT_SOURCE = "partner-registry"

# The fields a PATCH can change, in PartnerOut's order: what history entries and partner.updated list.
TRACKED_FIELDS = tuple(name for name in PartnerOut.model_fields if name in PartnerPatch.model_fields)

HISTORY_ORDER = "-occurred_at"
PARTNER_PAGE = Page[PartnerOut]


class TransitionGuard(Protocol):
    """A rule of another domain that a partner must meet to enter a status; raises an AppError to refuse."""

    async def __call__(self, session: AsyncSession, partner: Partner, *, now: datetime) -> None: ...


# Checked in order before a partner enters the keyed status. ACTIVE needs a current agreement (agreements),
# and coming from onboarding a complete onboarding checklist too (onboarding; a suspended partner returning
# has been through it). Entering ONBOARDING by a plain status transition stays possible (partners
# registered without an application); `POST /v1/applications/{id}/approval` is the way with an application.
TRANSITION_GUARDS: dict[PartnerStatus, list[TransitionGuard]] = {
    PartnerStatus.ACTIVE: [require_complete_checklist, require_current_agreement],
}


class RegistrationNumberTaken(Conflict):
    slug, title = "registration-number-taken", "Registration number already registered"


class PartnerTerminated(Conflict):
    slug, title = "partner-terminated", "Partner is terminated"


# --- reading -----------------------------------------------------------------------------------------------


async def visible_partner(
    session: AsyncSession, partner_id: UUID, *, viewer: Principal, for_update: bool = False
) -> Partner:
    """The partner if it exists and `viewer` may see it: 403 for another partner's credential, else 404."""
    viewer.partner_scope(partner_id)
    partner = await repository.partner_by_id(session, partner_id, for_update=for_update)
    if partner is None:
        raise NotFound(f"no partner {partner_id}")
    return partner


async def list_partners(
    session: AsyncSession,
    filters: PartnerFilters,
    sort: PartnerSort,
    *,
    viewer: Principal,
    limit: int,
    cursor: str | None,
) -> bytes:
    """A page of partners as JSON (`Page[PartnerOut]`); a partner's own credential only ever sees its own
    partner."""
    rows = await repository.partner_page(
        session,
        filters,
        sort,
        after=_sort_position(cursor, sort),
        limit=limit + 1,
        only_partner_id=viewer.partner_id,
    )

    return page_body(
        rows,
        limit,
        cursor_of=lambda row: keyset_cursor(sort.value, row.sort_key, row.id),
        items_are_json=is_postgresql(session),
        out=partner_item,
        page=PARTNER_PAGE,
    )


def _sort_position(cursor: str | None, sort: PartnerSort) -> KeysetPosition[Any] | None:
    """Where the previous page ended: at a timestamp for the lists by time, at a lower-cased name else."""
    if sort.value.removeprefix("-") == "created_at":
        return keyset_position(cursor, sort.value, datetime)
    return keyset_position(cursor, sort.value, str)


async def partner_history(
    session: AsyncSession,
    partner_id: UUID,
    *,
    viewer: Principal,
    kinds: Sequence[HistoryKind],
    limit: int,
    cursor: str | None,
) -> Page[HistoryEntryOut]:
    """A partner's history, newest first."""
    viewer.partner_scope(partner_id)
    if not await repository.partner_exists(session, partner_id):
        raise NotFound(f"no partner {partner_id}")
    after = keyset_position(cursor, HISTORY_ORDER, datetime)
    entries = await repository.history_page(session, partner_id, kinds=kinds, after=after, limit=limit + 1)
    return page_of(
        entries,
        limit,
        out=history_entry_out,
        cursor_of=lambda e: keyset_cursor(HISTORY_ORDER, e.occurred_at, e.id),
    )


# --- changing ----------------------------------------------------------------------------------------------


def tracked_values(partner: PartnerOut) -> dict[str, Any]:
    return partner.model_dump(mode="json", include=set(TRACKED_FIELDS))


async def record_change(
    session: AsyncSession,
    partner: Partner,
    kind: HistoryKind,
    *,
    actor: Principal,
    at: datetime,
    changes: Sequence[FieldChange],
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    contact_id: UUID | None = None,
    territory_id: UUID | None = None,
) -> PartnerHistoryEntry:
    """Add a history entry of `partner` (at its current version)."""
    entry = PartnerHistoryEntry(
        id=ordered_id(),
        partner_id=partner.id,
        kind=kind.value,
        occurred_at=at,
        actor=actor.subject,
        changes=[change.model_dump(mode="json") for change in changes],
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        contact_id=contact_id,
        territory_id=territory_id,
        partner_version=partner.version,
    )
    await repository.add_history_entry(session, entry)
    return entry


def ensure_not_terminated(partner: Partner) -> None:
    if partner.status == PartnerStatus.TERMINATED:
        raise PartnerTerminated(
            f"partner {partner.id} is terminated; its record is kept as it was and can no longer change"
        )


async def ensure_registration_free(
    session: AsyncSession, country: str, key: str | None, *, other_than: UUID | None, viewer: Principal
) -> None:
    """409 when another partner holds the registration number in `country`, naming it to a `viewer` who may
    read every partner; to others (the keyless public application form, a partner's own key) a bare "already
    registered", so that they learn no other partner's id."""
    if key is None:
        return
    holder = await repository.registration_holder(session, country, key, other_than=other_than)
    if holder is None:
        return
    if viewer.partner_id is not None or not viewer.has_scope("partners:read"):
        raise RegistrationNumberTaken(f"this registration number is already registered in {country}")
    raise RegistrationNumberTaken(
        f"partner {holder} is already registered in {country} under this registration number",
        existing_partner_id=str(holder),
    )


def _specialisation_rows(partner_id: UUID, kind: str, values: Sequence[str]) -> list[PartnerSpecialisation]:
    return [
        PartnerSpecialisation(
            partner_id=partner_id, kind=kind, value_key=label_key(value), value=value, position=position
        )
        for position, value in enumerate(values)
    ]


def _replace_specialisations(partner: Partner, kind: str, values: Sequence[str]) -> None:
    """Make `partner`'s `kind` list `values`, updating kept rows in place (a delete and an insert of one
    key in the same flush would meet the primary key)."""
    existing = {row.value_key: row for row in partner.specialisations if row.kind == kind}
    kept: list[PartnerSpecialisation] = []
    for position, value in enumerate(values):
        row = existing.pop(label_key(value), None)
        if row is None:
            row = _specialisation_rows(partner.id, kind, [value])[0]
        row.value, row.position = value, position
        kept.append(row)
    others = [row for row in partner.specialisations if row.kind != kind]
    partner.specialisations = others + kept


async def create_partner(
    session: AsyncSession, body: PartnerIn, *, actor: Principal, now: datetime
) -> Partner:
    """Register a partner as a prospect."""
    if actor.partner_id is not None:
        raise Forbidden("a partner's own credential cannot register partners")
    key = registration_key(body.registration_number)
    await ensure_registration_free(session, body.country, key, other_than=None, viewer=actor)
    partner_id = uuid4()
    revenue = body.annual_revenue
    partner = Partner(
        id=partner_id,
        legal_name=body.legal_name,
        display_name=body.display_name or body.legal_name,
        partner_type=body.partner_type.value,
        status=PartnerStatus.PROSPECT.value,
        status_changed_at=now,
        status_reason=None,
        tier=None,  # tiers are set by tier changes only
        country=body.country,
        region=body.region,
        registration_number=body.registration_number,
        registration_number_key=key,
        website_domain=body.website_domain,
        year_founded=body.year_founded,
        employee_count=body.employee_count,
        annual_revenue_amount=revenue.amount if revenue else None,
        annual_revenue_currency=revenue.currency if revenue else None,
        segments_served=[segment.value for segment in body.segments_served],
        custom_attributes=body.custom_attributes,
        version=1,
        created_at=now,
        updated_at=now,
        specialisations=_specialisation_rows(partner_id, "product_line", body.specialisations.product_lines)
        + _specialisation_rows(partner_id, "industry", body.specialisations.industries),
    )
    await repository.add_partner(session, partner)
    out = partner_out(partner)
    await record_change(
        session,
        partner,
        HistoryKind.CREATED,
        actor=actor,
        at=now,
        changes=initial_values(tracked_values(out)),
        to_status=partner.status,
    )
    await add_event(session, type=PARTNER_CREATED, source=EVENT_SOURCE, data=PartnerCreated(partner=out))
    return partner


def _proposed_values(before: dict[str, Any], patch: PartnerPatch) -> dict[str, Any]:
    """The partner's tracked values once `patch` is applied (specialisation lists merge one by one)."""
    proposed = dict(before)
    for name, value in patch.model_dump(mode="json", exclude_unset=True).items():
        if name == "specialisations":
            value = {**before["specialisations"], **value}
        elif name == "annual_revenue" and patch.annual_revenue is not None:
            # "2000000" and "2000000.00" are one amount: compare in the spelling partners are read in
            value = {**value, "amount": format(canonical_amount(patch.annual_revenue.amount), "f")}
        proposed[name] = value
    return proposed


def _assign(partner: Partner, name: str, patch: PartnerPatch) -> None:
    """Set the column(s) behind one PartnerPatch field from the patch's validated value."""
    value = getattr(patch, name)
    if name == "annual_revenue":
        partner.annual_revenue_amount = value.amount if value else None
        partner.annual_revenue_currency = value.currency if value else None
    elif name == "specialisations":
        for kind, field in (("product_line", "product_lines"), ("industry", "industries")):
            if field in value.model_fields_set:
                _replace_specialisations(partner, kind, getattr(value, field))
    elif name == "registration_number":
        partner.registration_number = value
        partner.registration_number_key = registration_key(value)
    elif name == "segments_served":
        partner.segments_served = [segment.value for segment in value]
    elif name == "partner_type":
        partner.partner_type = value.value
    else:
        setattr(partner, name, value)


async def update_partner(
    session: AsyncSession,
    partner_id: UUID,
    patch: PartnerPatch,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Partner:
    """Change fields of a partner read at the version named by `if_match`. A patch that changes nothing
    changes nothing: no new version, history entry or event."""
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    check_if_match(if_match, partner.version, required=True, resource="partner")
    ensure_not_terminated(partner)
    before = tracked_values(partner_out(partner))
    changes = field_changes(before, _proposed_values(before, patch))
    if not changes:
        return partner
    changed = [change.field for change in changes]
    if actor.partner_id is not None and (refused := fields_not_editable_by_partner(changed)):
        raise Forbidden(
            f"a partner's own credential cannot change {', '.join(refused)}; ask your channel manager",
            fields=refused,
        )
    for name in changed:
        _assign(partner, name, patch)
    if "registration_number" in changed or "country" in changed:
        await ensure_registration_free(
            session, partner.country, partner.registration_number_key, other_than=partner.id, viewer=actor
        )
    await bump_version(session, partner, at=now)
    out = partner_out(partner)
    await record_change(session, partner, HistoryKind.UPDATED, actor=actor, at=now, changes=changes)
    await add_event(
        session, type=PARTNER_UPDATED, source=EVENT_SOURCE, data=PartnerUpdated(partner=out, changes=changes)
    )
    return partner


async def transition_status(
    session: AsyncSession,
    partner_id: UUID,
    body: StatusTransitionIn,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> StatusTransitionOut:
    """Move a partner along its lifecycle, recording who, when and why."""
    if actor.partner_id is not None:
        raise Forbidden("a partner's own credential cannot change its lifecycle status")
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    check_if_match(if_match, partner.version, required=False, resource="partner")
    current = PartnerStatus(partner.status)
    check_transition(current, body.to_status, body.reason)
    for guard in TRANSITION_GUARDS.get(body.to_status, []):
        await guard(session, partner, now=now)
    reason = body.reason or None
    partner.status = body.to_status.value
    partner.status_changed_at = now
    partner.status_reason = reason
    await bump_version(session, partner, at=now)
    entry = await record_change(
        session,
        partner,
        HistoryKind.STATUS_CHANGED,
        actor=actor,
        at=now,
        changes=[FieldChange(field="status", before=current.value, after=body.to_status.value)],
        from_status=current.value,
        to_status=body.to_status.value,
        reason=reason,
    )
    out = partner_out(partner)
    await add_event(
        session,
        type=PARTNER_STATUS_CHANGED,
        source=EVENT_SOURCE,
        data=PartnerStatusChanged(
            partner_id=partner.id,
            from_status=current,
            to_status=body.to_status,
            reason=reason,
            changed_at=now,
            partner=out,
        ),
    )
    return StatusTransitionOut(
        id=entry.id,
        partner_id=partner.id,
        from_status=current,
        to_status=body.to_status,
        reason=reason,
        transitioned_by=actor.subject,
        transitioned_at=now,
        partner=out,
    )

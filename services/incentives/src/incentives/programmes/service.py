"""Programmes: named, versioned incentive terms in one currency and period type.

A version starts as a draft, which may be replaced whole; publishing makes it immutable (a change is 409) and
usable by calculation runs. Published versions of one programme never overlap in their effective dates, so
each day has at most one version in force. Programmes are the vendor's: a partner's credential reads them (to
see how it is paid) but never changes them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID, uuid4

from prm_contracts.clients.registry import RegistryClient
from prm_contracts.incentives import (
    ProgrammeIn,
    ProgrammeOut,
    ProgrammeVersionOut,
    VersionStatus,
    VersionTerms,
    VolumeBonusRule,
)
from prm_contracts.money import in_minor_units, minor_unit
from prm_contracts.pagination import Page
from prm_contracts.periods import PeriodKind, ends_a_period, period_containing, starts_a_period
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, NotFound, UnprocessableContent, ValidationIssue
from prm_kit.db import bump_version
from prm_kit.etag import check_if_match
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.programmes import repository
from incentives.programmes.models import Programme, ProgrammeVersion
from incentives.programmes.schemas import dump_terms, programme_out, version_out
from incentives.programmes.tiers import check_tiers

PROGRAMME_ORDER = "name"
VERSION_ORDER = "-number"


class ProgrammeNameTaken(Conflict):
    slug, title = "programme-name-taken", "Programme name already used"


class VersionPublished(Conflict):
    slug, title = "programme-version-published", "Programme version is published"


class VersionsOverlap(Conflict):
    slug, title = "programme-versions-overlap", "Effective dates overlap a published version"


class AmountPrecision(UnprocessableContent):
    slug, title = "programme-amount-precision", "Amount finer than the currency's minor unit"


class VersionOffPeriods(UnprocessableContent):
    slug, title = "programme-version-off-periods", "Effective dates not on the programme's period boundaries"


def check_period_bounds(terms: VersionTerms, kind: PeriodKind, loc: list[str | int]) -> None:
    """422 unless a version starts on the first day of one of the programme's periods and ends (if it ends) on
    the last day of one: a run computes one programme's period with one version, so a version changing in the
    middle of a period would leave one part of that period's sales unpayable."""
    issues = []
    if not starts_a_period(kind, terms.effective_from):
        first = period_containing(kind, terms.effective_from)
        issues.append(
            ValidationIssue(
                loc=[*loc, "effective_from"],
                msg=f"{terms.effective_from} is inside {first.label}; a {kind.value} starts on {first.first_day}",
                type="off_period_start",
            )
        )
    if terms.effective_to is not None and not ends_a_period(kind, terms.effective_to):
        last = period_containing(kind, terms.effective_to)
        issues.append(
            ValidationIssue(
                loc=[*loc, "effective_to"],
                msg=f"{terms.effective_to} is inside {last.label}, which ends on {last.last_day}",
                type="off_period_end",
            )
        )
    if issues:
        raise VersionOffPeriods(
            f"a version of a programme paid by {kind.value} takes effect from the first day of a {kind.value} "
            f"and ends on the last day of one (one run computes each period with one version): "
            + "; ".join(issue.msg for issue in issues),
            errors=issues,
        )


def _check_amounts(terms: VersionTerms, currency: str, loc: list[str | int]) -> None:
    """422 for a money amount of the rules (cap, floor, budget, SPIFF, band bounds) finer than the programme
    currency's minor unit, as adjustments and MDF amounts are: payouts are whole minor units, so a JPY floor of
    0.5 would pay 0 and a budget of 100.5 could never be split to sum to itself."""
    amounts: list[tuple[list[str | int], Decimal]] = []
    for position, rule in enumerate(terms.rules):
        at: list[str | int] = [*loc, "rules", position]
        if isinstance(rule, VolumeBonusRule):
            for band_position, band in enumerate(rule.bands):
                amounts.append(([*at, "bands", band_position, "from"], band.from_))
                if band.to is not None:
                    amounts.append(([*at, "bands", band_position, "to"], band.to))
        elif (amount := getattr(rule, "amount", None)) is not None:
            amounts.append(([*at, "amount"], amount))
    unit = minor_unit(currency)
    issues = [
        ValidationIssue(loc=where, msg=f"at most {unit} ({currency}'s minor unit)", type="amount_places")
        for where, amount in amounts
        if not in_minor_units(amount, currency)
    ]
    if issues:
        listed = ", ".join(".".join(str(part) for part in issue.loc[1:]) for issue in issues[:5])
        raise AmountPrecision(
            f"amounts of a programme in {currency} are whole multiples of its minor unit ({unit}): {listed}",
            errors=issues,
        )


async def list_programmes(session: AsyncSession, *, limit: int, cursor: str | None) -> Page[ProgrammeOut]:
    after = keyset_position(cursor, PROGRAMME_ORDER, str)
    programmes = await repository.programme_page(session, after=after, limit=limit + 1)
    latest = await repository.latest_numbers(session, [p.id for p in programmes])
    return page_of(
        programmes,
        limit,
        out=lambda p: programme_out(p, latest.get(p.id, 0)),
        cursor_of=lambda p: keyset_cursor(PROGRAMME_ORDER, p.name, p.id),
    )


async def visible_programme(session: AsyncSession, programme_id: UUID) -> Programme:
    programme = await repository.programme_by_id(session, programme_id)
    if programme is None:
        raise NotFound(f"no programme {programme_id}")
    return programme


async def programme_answer(session: AsyncSession, programme: Programme) -> ProgrammeOut:
    latest = await repository.latest_numbers(session, [programme.id])
    return programme_out(programme, latest.get(programme.id, 0))


def _new_version(
    programme: Programme, number: int, terms: VersionTerms, actor: Principal, now: datetime
) -> ProgrammeVersion:
    return ProgrammeVersion(
        id=uuid4(),
        programme_id=programme.id,
        number=number,
        status=VersionStatus.DRAFT.value,
        **dump_terms(terms),
        created_by=actor.subject,
        version=1,
        created_at=now,
        updated_at=now,
    )


async def create_programme(
    session: AsyncSession, body: ProgrammeIn, registry: RegistryClient, *, actor: Principal, now: datetime
) -> tuple[Programme, ProgrammeVersion]:
    """The programme and its version 1 as a draft; 409 when the name is taken."""
    actor.require_vendor("create programmes")
    _check_amounts(body.version, body.currency, ["body", "version"])
    check_period_bounds(body.version, body.period_type, ["body", "version"])
    await check_tiers(session, registry, body.version, ["body", "version"])
    if await repository.name_taken(session, body.name):
        raise ProgrammeNameTaken(f"a programme named {body.name!r} exists already")
    programme = Programme(
        id=uuid4(),
        name=body.name,
        currency=body.currency,
        period_type=body.period_type.value,
        description=body.description,
        created_by=actor.subject,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, programme)
    version = _new_version(programme, 1, body.version, actor, now)
    await repository.add(session, version)
    return programme, version


async def list_versions(
    session: AsyncSession, programme_id: UUID, *, limit: int, cursor: str | None
) -> Page[ProgrammeVersionOut]:
    programme = await visible_programme(session, programme_id)
    after = keyset_position(cursor, VERSION_ORDER, int)
    versions = await repository.version_page(session, programme.id, after=after, limit=limit + 1)
    return page_of(
        versions,
        limit,
        out=lambda v: version_out(v, programme),
        cursor_of=lambda v: keyset_cursor(VERSION_ORDER, v.number, v.id),
    )


async def visible_version(
    session: AsyncSession, programme_id: UUID, number: int, *, for_update: bool = False
) -> tuple[Programme, ProgrammeVersion]:
    programme = await visible_programme(session, programme_id)
    version = await repository.version(session, programme.id, number, for_update=for_update)
    if version is None:
        raise NotFound(f"programme {programme.name!r} has no version {number}")
    return programme, version


async def new_version(
    session: AsyncSession,
    programme_id: UUID,
    terms: VersionTerms,
    registry: RegistryClient,
    *,
    actor: Principal,
    now: datetime,
) -> tuple[Programme, ProgrammeVersion]:
    """A new draft numbered after the latest version: the way to change a published programme."""
    actor.require_vendor("change programmes")
    visible = await visible_programme(session, programme_id)  # 404 before the registry is asked
    check_period_bounds(terms, PeriodKind(visible.period_type), ["body"])
    await check_tiers(session, registry, terms, ["body"])
    programme = await repository.lock_programme(session, programme_id)
    if programme is None:
        raise NotFound(f"no programme {programme_id}")
    _check_amounts(terms, programme.currency, ["body"])
    latest = (await repository.latest_numbers(session, [programme.id])).get(programme.id, 0)
    version = _new_version(programme, latest + 1, terms, actor, now)
    await repository.add(session, version)
    return programme, version


def _ensure_draft(programme: Programme, version: ProgrammeVersion) -> None:
    if version.status == VersionStatus.PUBLISHED.value:
        raise VersionPublished(
            f"version {version.number} of {programme.name!r} is published and cannot change; add a new version "
            f"(POST /v1/programmes/{programme.id}/versions) with its own effective dates",
            programme_version=version.number,
        )


async def replace_version(
    session: AsyncSession,
    programme_id: UUID,
    number: int,
    terms: VersionTerms,
    registry: RegistryClient,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> tuple[Programme, ProgrammeVersion]:
    """Replace a draft's terms, read at the version `if_match` names; a published version is 409."""
    actor.require_vendor("change programmes")
    visible = await visible_programme(session, programme_id)  # 404 before the registry is asked
    check_period_bounds(terms, PeriodKind(visible.period_type), ["body"])
    await check_tiers(session, registry, terms, ["body"])
    programme, version = await visible_version(session, programme_id, number, for_update=True)
    _ensure_draft(programme, version)
    check_if_match(if_match, version.version, required=True, resource="programme version")
    _check_amounts(terms, programme.currency, ["body"])
    for column, value in dump_terms(terms).items():
        setattr(version, column, value)
    await bump_version(session, version, at=now)
    return programme, version


async def publish_version(
    session: AsyncSession,
    programme_id: UUID,
    number: int,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> tuple[Programme, ProgrammeVersion]:
    """Publish a draft: immutable from now on. 409 when published already or when its effective dates meet
    those of another published version of the programme."""
    actor.require_vendor("publish programmes")
    programme = await repository.lock_programme(session, programme_id)
    if programme is None:
        raise NotFound(f"no programme {programme_id}")
    _, version = await visible_version(session, programme_id, number, for_update=True)
    _ensure_draft(programme, version)
    check_if_match(if_match, version.version, required=False, resource="programme version")
    overlapping = await repository.published_overlapping(
        session, programme.id, version.effective_from, version.effective_to
    )
    if overlapping:
        other = overlapping[0]
        until = other.effective_to.isoformat() if other.effective_to else "open-ended"
        raise VersionsOverlap(
            f"version {number} is effective from {version.effective_from} to "
            f"{version.effective_to or 'open-ended'}, which overlaps published version {other.number} "
            f"({other.effective_from} to {until}); give the draft dates outside it",
            overlapping_versions=[v.number for v in overlapping],
        )
    version.status = VersionStatus.PUBLISHED.value
    version.published_at = now
    version.published_by = actor.subject
    await bump_version(session, version, at=now)
    return programme, version

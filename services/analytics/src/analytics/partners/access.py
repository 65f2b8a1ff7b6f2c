"""Who may see and change which partner's analytics inputs.

A credential bound to a partner reads only that partner's records: another partner's are answered 404, as if
they did not exist (analytics does not confirm which partners exist). It writes none of the inputs KPIs and
incentives are computed from (targets, surveys, spend, FX rates, market sizes): 403, because a partner that
could set them could move its own KPIs and payouts.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Depends
from prm_contracts.principal import Principal
from prm_contracts.problem import Forbidden, NotFound
from prm_kit.internal_auth import PrincipalDep


def _vendor_only(who: PrincipalDep) -> None:
    if who.partner_id is not None:
        raise Forbidden("a partner's own credential cannot change analytics inputs; ask your channel manager")


VENDOR_ONLY: Any = Depends(_vendor_only)


def can_see(viewer: Principal, partner_id: UUID) -> bool:
    """A vendor's credential sees every partner's data; a partner-bound one its own partner's only."""
    return viewer.partner_id is None or viewer.partner_id == partner_id


def ensure_visible(viewer: Principal, partner_id: UUID, noun: str) -> None:
    """404 for a partner-bound viewer asking for another partner's `noun` (the partner the caller named: a
    record found by its own id answers as unknown instead, see `can_see`)."""
    if not can_see(viewer, partner_id):
        raise NotFound(f"no {noun} of partner {partner_id}")


def visible_partner_filter(viewer: Principal, requested: UUID | None, noun: str) -> UUID | None:
    """The partner a list is limited to: a bound viewer's own (another partner's asked for: 404)."""
    if viewer.partner_id is None:
        return requested
    if requested is not None:
        ensure_visible(viewer, requested, noun)
    return viewer.partner_id

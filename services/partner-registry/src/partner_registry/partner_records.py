"""What the records kept under a partner share (contacts, territories, certifications, compliance records,
agreements): finding one at `/v1/partners/{partner_id}/<records>/{record_id}`, at the version an `If-Match`
names, and what the history of a removed one lists.

The records the vendor keeps about a partner (certifications, compliance, agreements) follow one more rule
(`partner_for_change`): a partner's own credential reads them but never writes them: they are the vendor's
evidence about the partner. Writes lock the partner row, so they serialise with its status transitions
(whose guards read these records). New records are not added to a terminated partner; existing ones can
still be corrected, closed or removed while the relationship winds down.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from prm_contracts.partners import FieldChange
from prm_contracts.principal import Principal
from prm_contracts.problem import Forbidden, NotFound
from prm_kit.db import Versioned
from prm_kit.etag import check_if_match
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.partners.changes import field_changes
from partner_registry.partners.models import Partner
from partner_registry.partners.service import ensure_not_terminated, visible_partner

Record = TypeVar("Record", bound=Versioned)
# a domain's repository query: (session, partner_id, record_id) -> the partner's record with that id, if any
RecordLookup = Callable[[AsyncSession, UUID, UUID], Awaitable[Record | None]]


@dataclass(frozen=True)
class PartnerRecords(Generic[Record]):
    """One kind of record kept under a partner: the query that finds one, its name in errors, and whether
    its entity tags are weak (prm_kit.etag)."""

    lookup: RecordLookup[Record]
    noun: str
    weak_etags: bool = False

    async def _of(self, session: AsyncSession, partner_id: UUID, record_id: UUID) -> Record:
        record = await self.lookup(session, partner_id, record_id)
        if record is None:
            raise NotFound(f"partner {partner_id} has no {self.noun} {record_id}")
        return record

    async def visible(
        self, session: AsyncSession, partner_id: UUID, record_id: UUID, *, viewer: Principal
    ) -> Record:
        """The record when `viewer` may see the partner: 403 for another partner's credential, 404 for an
        unknown partner or a record that is not this partner's."""
        await visible_partner(session, partner_id, viewer=viewer)
        return await self._of(session, partner_id, record_id)

    async def to_change(
        self,
        session: AsyncSession,
        partner_id: UUID,
        record_id: UUID,
        *,
        if_match: str | None,
        required: bool,
    ) -> Record:
        """The record (404 when the partner has none such) read at the version `if_match` names: 412 when it
        has changed since, 428 when `required` and not sent. The caller has checked access to the partner
        (and locked it)."""
        record = await self._of(session, partner_id, record_id)
        check_if_match(if_match, record.version, required=required, weak=self.weak_etags, resource=self.noun)
        return record


def removed_values(values: Mapping[str, Any]) -> list[FieldChange]:
    """What a removed record's history lists: each field, to nothing."""
    return field_changes(values, dict.fromkeys(values))


async def partner_for_change(
    session: AsyncSession, partner_id: UUID, *, actor: Principal, adding: bool, records: str
) -> Partner:
    """The partner, locked, when `actor` may change its `records`: 403 for a partner's own credential (and
    another partner's), 404 for an unknown partner, 409 when `adding` to a terminated one."""
    if actor.partner_id is not None:
        actor.partner_scope(partner_id)
        raise Forbidden(f"a partner's own credential reads its {records} but cannot change them")
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    if adding:
        ensure_not_terminated(partner)
    return partner

"""ORM → contract conversion of agreements (the bodies live in `prm_contracts.agreements`), and the answer
of an expiry sweep."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from prm_contracts.agreements import AgreementOut, AgreementStatus, AgreementType
from pydantic import AwareDatetime, BaseModel

if TYPE_CHECKING:
    from partner_registry.agreements.models import Agreement


def agreement_out(agreement: Agreement) -> AgreementOut:
    return AgreementOut(
        id=agreement.id,
        partner_id=agreement.partner_id,
        agreement_type=AgreementType(agreement.agreement_type),
        status=AgreementStatus(agreement.status),
        signed_on=agreement.signed_on,
        starts_on=agreement.starts_on,
        ends_on=agreement.ends_on,
        version=agreement.version,
        created_at=agreement.created_at,
        updated_at=agreement.updated_at,
    )


class AgreementExpirySweepOut(BaseModel):
    """An expiry sweep that ran: the active agreements whose `ends_on` had passed, now `expired`."""

    swept_at: AwareDatetime
    expired_count: int
    expired_ids: list[UUID]

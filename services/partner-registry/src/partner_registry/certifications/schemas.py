"""ORM → contract conversion of certifications (the bodies live in `prm_contracts.certifications`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prm_contracts.certifications import CertificationOut

if TYPE_CHECKING:
    from partner_registry.certifications.models import Certification


def certification_out(certification: Certification) -> CertificationOut:
    return CertificationOut(
        id=certification.id,
        partner_id=certification.partner_id,
        contact_id=certification.contact_id,
        programme=certification.programme,
        level=certification.level,
        issued_on=certification.issued_on,
        expires_on=certification.expires_on,
        version=certification.version,
        created_at=certification.created_at,
        updated_at=certification.updated_at,
    )

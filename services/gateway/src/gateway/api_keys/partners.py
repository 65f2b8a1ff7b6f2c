"""A key is bound only to a partner the registry knows: one bound to a made-up id would look valid, open
nothing and hide a typo until a partner's portal fails."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends
from prm_contracts.clients.registry import RegistryClient
from prm_contracts.problem import (
    AppError,
    UnprocessableContent,
    ValidationIssue,
)
from prm_kit.http_clients import cannot_ask, from_app_state

RegistryDep = Annotated[RegistryClient, Depends(from_app_state("registry"))]


async def ensure_partner_exists(registry: RegistryClient, partner_id: UUID) -> None:
    try:
        exists = await registry.partner_exists(partner_id)
    except AppError as error:
        raise cannot_ask("registry", f"whether partner {partner_id} exists") from error
    if not exists:
        raise UnprocessableContent(
            f"no partner {partner_id} in the registry: bind the key to an existing partner",
            errors=[
                ValidationIssue(
                    loc=["body", "partner_id"], msg=f"no partner {partner_id}", type="partner_unknown"
                )
            ],
        )

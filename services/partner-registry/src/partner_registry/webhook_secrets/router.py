"""HTTP of partners' webhook signing secrets: `/v1/partners/{partner_id}/webhook-secrets`, and the internal
`/internal/partners/{partner_id}/webhook-secrets` that hands the valid secrets to analytics."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from prm_contracts.pagination import Page
from prm_contracts.principal import INTERNAL_SCOPE
from prm_contracts.problem import Forbidden
from prm_contracts.webhook_secrets import PartnerWebhookSecrets
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from partner_registry.config import Settings, SettingsDep
from partner_registry.webhook_secrets import service
from partner_registry.webhook_secrets.crypto import SecretBox, secret_box
from partner_registry.webhook_secrets.schemas import IssuedWebhookSecretOut, WebhookSecretOut

router = APIRouter(prefix="/v1/partners/{partner_id}/webhook-secrets", tags=["webhook-secrets"])
internal_router = APIRouter(prefix="/internal/partners/{partner_id}/webhook-secrets", include_in_schema=False)

READ = require("partners:read")
WRITE = require("partners:write")
NO_STORE = {"Cache-Control": "no-store"}


def _box(settings: Settings) -> SecretBox:
    """`webhook_secret_keys` first; the keys derived from the older settings stay, to read what they wrote."""
    material = [settings.webhook_secret_key, settings.internal_secret]
    return secret_box(
        tuple(key.get_secret_value() for key in settings.webhook_secret_keys),
        tuple(secret.get_secret_value() for secret in material if secret is not None),
    )


def _overlap(settings: Settings) -> timedelta:
    return timedelta(hours=settings.webhook_secret_overlap_hours)


def _internal_service_only(who: PrincipalDep) -> None:
    """Only a PRM service's own credential: `Principal.has_scope` would let `admin` pass too, but no API key,
    however privileged, should read partners' secrets."""
    if INTERNAL_SCOPE not in who.effective_scopes:
        raise Forbidden("only PRM services may read webhook secrets")


@router.post(
    "",
    status_code=201,
    response_model=IssuedWebhookSecretOut,
    summary="Issue or rotate a partner's webhook signing secret",
    responses=problems(403, 404, 409),
    dependencies=[WRITE],
)
async def issue_partner_webhook_secret(
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    settings: SettingsDep,
) -> IssuedWebhookSecretOut:
    """A new Standard Webhooks secret (`whsec_…`) for signing the partner's webhooks; **the answer is the
    only time it is shown**. Secrets valid until now stay valid for the rotation overlap (24 h by default)
    and then expire. A partner's own credential may rotate its own secret. No `Idempotency-Key`: a stored
    replay would keep the secret in plain text; a repeated request is simply another rotation."""
    issued = await service.issue_secret(
        session,
        partner_id,
        actor=who,
        now=now,
        overlap=_overlap(settings),
        box=_box(settings),
    )
    response.headers.update({"Location": f"/v1/partners/{partner_id}/webhook-secrets", **NO_STORE})
    return issued


@router.get(
    "",
    response_model=Page[WebhookSecretOut],
    summary="List a partner's webhook signing secrets",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_partner_webhook_secrets(
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[WebhookSecretOut]:
    """Every secret the partner had, newest first, with its validity and fingerprint; never the secret."""
    return await service.list_secrets(session, partner_id, viewer=who, limit=limit, cursor=cursor)


@router.delete(
    "/{secret_id}",
    status_code=204,
    response_class=Response,
    summary="Revoke a partner's webhook signing secret",
    responses=problems(403, 404),
    dependencies=[WRITE],
)
async def revoke_partner_webhook_secret(
    partner_id: UUID, secret_id: UUID, session: SessionDep, who: PrincipalDep, now: NowDep
) -> None:
    """Ends the secret at once, without overlap (for a secret that leaked). Analytics stops accepting it when
    the registry's `partner.webhook_secrets_changed` event reaches it, about a second later, and at the latest
    when the secrets it keeps expire (`PRM_WEBHOOK_SECRET_CACHE_SECONDS`, 30 s by default)."""
    await service.revoke_secret(session, partner_id, secret_id, actor=who, now=now)


@internal_router.get("", response_model=PartnerWebhookSecrets, dependencies=[Depends(_internal_service_only)])
async def internal_partner_webhook_secrets(
    partner_id: UUID, session: SessionDep, response: Response, now: NowDep, settings: SettingsDep
) -> PartnerWebhookSecrets:
    """The partner's currently valid secrets with their validity windows (for analytics)."""
    response.headers.update(NO_STORE)
    return await service.valid_secrets(session, partner_id, now=now, box=_box(settings))

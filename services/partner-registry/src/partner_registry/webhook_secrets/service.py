"""Partners' Standard Webhooks signing secrets: issue, rotate with an overlap, revoke, hand to analytics.

Issuing a secret for a partner that has valid ones is a rotation: each of them stays valid for the overlap
(settings, 24 h by default) so the partner's system can switch over without rejected deliveries, then only
the new one is. The secret itself is answered once, on issue; listings show its fingerprint only. The
partner row is locked while its secrets change, so two rotations cannot interleave.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import NotFound
from prm_contracts.webhook_secrets import (
    PARTNER_WEBHOOK_SECRETS_CHANGED,
    PartnerWebhookSecrets,
    PartnerWebhookSecretsChanged,
    WebhookSigningSecret,
)
from prm_kit.outbox import add_event
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.partners import repository as partners_repository
from partner_registry.partners.service import EVENT_SOURCE, ensure_not_terminated, visible_partner
from partner_registry.webhook_secrets import repository
from partner_registry.webhook_secrets.crypto import SecretBox, fingerprint, new_secret
from partner_registry.webhook_secrets.models import PartnerWebhookSecret
from partner_registry.webhook_secrets.schemas import (
    IssuedWebhookSecretOut,
    WebhookSecretOut,
    webhook_secret_out,
)

ORDER = "-created_at"


async def _announce(session: AsyncSession, partner_id: UUID, *, now: datetime) -> None:
    valid = await repository.valid_secrets(session, partner_id, at=now)
    await add_event(
        session,
        type=PARTNER_WEBHOOK_SECRETS_CHANGED,
        source=EVENT_SOURCE,
        data=PartnerWebhookSecretsChanged(
            partner_id=partner_id, valid_secret_ids=[s.id for s in valid], changed_at=now
        ),
    )


async def issue_secret(
    session: AsyncSession,
    partner_id: UUID,
    *,
    actor: Principal,
    now: datetime,
    overlap: timedelta,
    box: SecretBox,
) -> IssuedWebhookSecretOut:
    """A new secret for the partner; the ones valid until now expire after `overlap` (or earlier, when
    they were to expire earlier anyway)."""
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    ensure_not_terminated(partner)
    previous = await repository.valid_secrets(session, partner_id, at=now, for_update=True)
    rotated_out_at = now + overlap
    for old in previous:
        if old.expires_at is None or old.expires_at > rotated_out_at:
            old.expires_at = rotated_out_at
    secret = new_secret()
    row = PartnerWebhookSecret(
        id=uuid4(),
        partner_id=partner_id,
        ciphertext=box.encrypt(secret),
        fingerprint=fingerprint(secret),
        created_at=now,
        created_by=actor.subject,
        expires_at=None,
        revoked_at=None,
        revoked_by=None,
    )
    await repository.add_secret(session, row)
    await _announce(session, partner_id, now=now)
    expiries = [old.expires_at for old in previous if old.expires_at is not None]
    return IssuedWebhookSecretOut(
        **webhook_secret_out(row).model_dump(),
        secret=secret,
        previous_secrets_expire_at=max(expiries) if expiries else None,
    )


async def list_secrets(
    session: AsyncSession, partner_id: UUID, *, viewer: Principal, limit: int, cursor: str | None
) -> Page[WebhookSecretOut]:
    await visible_partner(session, partner_id, viewer=viewer)
    after = keyset_position(cursor, ORDER, datetime)
    rows = await repository.secret_page(session, partner_id, after=after, limit=limit + 1)
    return page_of(
        rows,
        limit,
        out=webhook_secret_out,
        cursor_of=lambda r: keyset_cursor(ORDER, r.created_at, r.id),
    )


async def revoke_secret(
    session: AsyncSession, partner_id: UUID, secret_id: UUID, *, actor: Principal, now: datetime
) -> None:
    """Stop accepting a secret at once (say, when it leaked). Revoking a revoked secret changes nothing."""
    await visible_partner(session, partner_id, viewer=actor, for_update=True)
    row = await repository.secret_of(session, partner_id, secret_id)
    if row is None:
        raise NotFound(f"partner {partner_id} has no webhook secret {secret_id}")
    if row.revoked_at is not None:
        return
    row.revoked_at = now
    row.revoked_by = actor.subject
    if row.expires_at is None or row.expires_at > now:
        row.expires_at = now
    await session.flush()
    await _announce(session, partner_id, now=now)


async def valid_secrets(
    session: AsyncSession, partner_id: UUID, *, now: datetime, box: SecretBox
) -> PartnerWebhookSecrets:
    """The partner's secrets valid at `now`, decrypted, for analytics to verify signatures with."""
    if not await partners_repository.partner_exists(session, partner_id):
        raise NotFound(f"no partner {partner_id}")
    rows = await repository.valid_secrets(session, partner_id, at=now)
    return PartnerWebhookSecrets(
        partner_id=partner_id,
        secrets=[
            WebhookSigningSecret(
                id=row.id,
                secret=box.decrypt(row.ciphertext),
                fingerprint=row.fingerprint,
                valid_from=row.created_at,
                valid_until=row.expires_at,
            )
            for row in rows
        ],
    )

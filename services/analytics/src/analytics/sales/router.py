"""HTTP of sales data: the signed webhook partner systems push to (`/v1/webhooks/partners/{partner_id}/sales`)
and the stored lines (`/v1/sales/lines`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from prm_contracts.dates import IsoDate
from prm_contracts.pagination import Page
from prm_contracts.problem import Conflict, NotFound, UnprocessableContent
from prm_contracts.sales import (
    SalesKind,
    SalesLineOut,
    SalesLinesRejected,
    SalesWebhookAnswer,
    WebhookIdReused,
)
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery
from prm_kit.settings import app_settings

from analytics.config import Settings
from analytics.sales import service
from analytics.sales.schemas import WEBHOOK_REQUEST_BODY
from analytics.sales.secrets import WebhookSecretCache, WebhookSecretsDep, from_registry, valid_secrets
from analytics.sales.signatures import (
    SignatureRefused,
    SignedDelivery,
    check_timestamp,
    signed_delivery,
    verify,
)

webhook_router = APIRouter(prefix="/v1/webhooks/partners/{partner_id}", tags=["sales-webhooks"])
router = APIRouter(prefix="/v1/sales/lines", tags=["sales"])

READ = require("analytics:read")
SettingsDep = Annotated[Settings, Depends(app_settings)]
REPLAYED_HEADER = "Webhook-Replayed"

# only what this endpoint answers: no API key is taken, and analytics' other types are its other endpoints'
_WEBHOOK_PROBLEMS = problems(
    400,
    401,
    404,
    409,
    422,
    503,
    only={
        401: [SignatureRefused.slug],
        404: [NotFound.slug],
        409: [Conflict.slug],
        422: [UnprocessableContent.slug, WebhookIdReused.slug, SalesLinesRejected.slug],
    },
)
_WEBHOOK_PROBLEMS[401]["description"] = (
    "Missing, malformed or wrong signature, a timestamp more than 5 minutes from now, or a partner without "
    "a valid webhook secret"
)
_WEBHOOK_PROBLEMS[404]["description"] = "No such partner"
_WEBHOOK_PROBLEMS[409]["description"] = "A concurrent delivery stored the same lines meanwhile; retry"
_WEBHOOK_PROBLEMS[422]["description"] = (
    "Not a valid message (`errors` name the line and field), the webhook-id reused with another body "
    "(`/problems/webhook-id-reused`), or no line storable (`/problems/sales-lines-rejected`, the per-line "
    "answer in `report`); nothing was stored"
)
_WEBHOOK_PROBLEMS[503]["description"] = "The registry (the partner's secrets) or the database is unreachable"


@webhook_router.post(
    "/sales",
    response_model=SalesWebhookAnswer,
    summary="Receive a partner's signed sales data (Standard Webhooks)",
    responses={
        200: {
            "description": "What happened to each line; the first answer again for a repeated `webhook-id`.",
            "headers": {
                REPLAYED_HEADER: {
                    "description": "`true` when this is the stored answer to an earlier delivery of the same "
                    "`webhook-id` (nothing was stored again).",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            },
        },
        **_WEBHOOK_PROBLEMS,
    },
    openapi_extra={"requestBody": WEBHOOK_REQUEST_BODY, "security": []},
)
async def receive_partner_sales_webhook(
    partner_id: UUID,
    request: Request,
    session: SessionDep,
    now: NowDep,
    secrets: WebhookSecretsDep,
    settings: SettingsDep,
) -> Response:
    """The endpoint partner systems (ERPs, distributors' platforms) push sales to. **No API key**: each
    delivery is signed per [Standard Webhooks](https://www.standardwebhooks.com) with the partner's `whsec_`
    secret (issued by `POST /v1/partners/{partner_id}/webhook-secrets`, it verifies from the moment it is
    issued; during a rotation's overlap both secrets verify): headers `webhook-id`, `webhook-timestamp`
    (Unix seconds, within 5 minutes of now) and
    `webhook-signature` (`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, several space-separated
    allowed). The signature is checked on the raw body before anything else.

    `sales.reported` carries up to 1,000 lines; amounts and quantities are positive decimal strings, the
    `kind` (`sale`, `return`, `credit_note`) gives the sign, and `amount` must be `quantity * unit_price`
    rounded to the places it is written with. `sales.payment_updated` sets payment statuses of stored lines.

    **Exactly-once effect.** A `200` means the delivery's lines, the rollups and the outbox events were
    committed together. The same `webhook-id` again gets the same answer (with `Webhook-Replayed: true`) and
    changes nothing; with another body it is a 422. Each line is `accepted`, a `duplicate` (its external_id
    is stored with the same content; `payment_status` is not compared, it changes by `sales.payment_updated`)
    or `rejected` with a reason: `content_differs` (stored lines are never overwritten; correct with a return
    or credit note), `original_not_found` (a return or credit note whose `original_external_id` is neither
    stored nor earlier in the delivery; one without `original_external_id` is accepted) or, for payment
    updates, `line_not_found` and `paid_on_in_future` (paid more than a day after the day, UTC, it
    arrives). When no line is accepted and one is rejected, the answer is a 422 problem with the report in
    `report`, and nothing is stored: the same `webhook-id` can be retried once corrected."""
    body = await request.body()
    delivery = signed_delivery(request.headers)
    check_timestamp(delivery, now=now, tolerance=timedelta(seconds=settings.webhook_tolerance_seconds))
    partner_secrets = await from_registry(secrets.get(partner_id), "the partner's webhook secrets")
    usable = valid_secrets(partner_secrets, at=now)
    if not usable:
        raise SignatureRefused(
            f"partner {partner_id} has no valid webhook secret; issue one with "
            f"POST /v1/partners/{partner_id}/webhook-secrets"
        )
    if not verify(delivery, body, usable) and not await _verifies_with_renewed_secrets(
        secrets, partner_id, delivery, body, now=now
    ):
        raise SignatureRefused(
            "no webhook-signature entry matches the body signed with the partner's webhook secret "
            '(HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{raw body}", base64, prefixed "v1,"); '
            "sign the exact bytes sent"
        )
    answer = await service.record_delivery(
        session, partner_id=partner_id, webhook_id=delivery.webhook_id, body=body, now=now
    )
    headers = {REPLAYED_HEADER: "true"} if answer.replayed else None
    return Response(
        content=answer.body, status_code=answer.status_code, headers=headers, media_type="application/json"
    )


async def _verifies_with_renewed_secrets(
    secrets: WebhookSecretCache, partner_id: UUID, delivery: SignedDelivery, body: bytes, *, now: datetime
) -> bool:
    """Whether a secret issued since the kept ones were fetched verifies (`WebhookSecretCache.refreshed`)."""
    renewed = await from_registry(secrets.refreshed(partner_id), "the partner's webhook secrets")
    return renewed is not None and verify(delivery, body, valid_secrets(renewed, at=now))


@router.get(
    "",
    response_model=Page[SalesLineOut],
    summary="List sales lines",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_sales_lines(
    session: SessionDep,
    who: PrincipalDep,
    partner_id: Annotated[UUID | None, Query(description="Only this partner's lines.")] = None,
    from_on: Annotated[
        IsoDate | None, Query(alias="from", description="First `occurred_on` day included.")
    ] = None,
    to_on: Annotated[
        IsoDate | None, Query(alias="to", description="Last `occurred_on` day included.")
    ] = None,
    kind: Annotated[SalesKind | None, Query(description="Only sales, returns or credit notes.")] = None,
    product_category: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Only this product category.")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[SalesLineOut]:
    """Stored lines, latest `occurred_on` first. A partner's own credential sees only its own lines (asking
    for another partner's is a 403)."""
    return await service.list_lines(
        session,
        viewer=who,
        partner_id=partner_id,
        from_on=from_on,
        to_on=to_on,
        kind=kind.value if kind is not None else None,
        product_category=product_category,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/{line_id}",
    response_model=SalesLineOut,
    summary="Get a sales line",
    responses=problems(403, 404),
    dependencies=[READ],
)
async def get_sales_line(line_id: UUID, session: SessionDep, who: PrincipalDep) -> SalesLineOut:
    """One stored line; another partner's line is a 404 for a partner's own credential."""
    return await service.visible_line(session, line_id, viewer=who)

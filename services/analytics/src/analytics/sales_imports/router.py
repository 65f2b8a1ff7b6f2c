"""HTTP of sales imports: `POST /v1/sales/imports`, a CSV file of sales lines streamed in."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from prm_contracts.problem import NotFound, ServiceUnavailable
from prm_kit.clock import NowDep
from prm_kit.csv_upload import csv_body
from prm_kit.db import ordered_id
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require

from analytics.partners.known import ensure_partner_known
from analytics.sales.secrets import WebhookSecretsDep
from analytics.sales_imports import service
from analytics.sales_imports.columns import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from analytics.sales_imports.schemas import SalesImportReport

router = APIRouter(prefix="/v1/sales/imports", tags=["sales"])

WRITE = require("analytics:write")
_EXAMPLE = (
    ",".join((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
    + "\nINV-1003-1,sale,2026-07-01,invoiced,Globex Corporation,NET-100,networking,2,150.00,300.00,EUR,"
    + "INV-1003,,globex.example,DE,C-77,true,210.00,,\n"
    + "RET-1003-1,return,2026-07-03,invoiced,Globex Corporation,NET-100,networking,1,150.00,150.00,EUR,"
    + "INV-1003,,globex.example,DE,C-77,,105.00,,INV-1003-1\n"
)
_PROBLEMS = problems(
    403, 404, 409, 413, 415, 422, 503, only={404: [NotFound.slug], 503: [ServiceUnavailable.slug]}
)
_PROBLEMS[404]["description"] = "The registry knows no such partner (nothing stored)"
_PROBLEMS[503]["description"] = (
    "The registry (to confirm the partner) or the database is unreachable (nothing stored); retry later"
)
_PROBLEMS[409]["description"] = (
    "A concurrent delivery kept storing the same external ids as a chunk (`/problems/sales-import-conflict`, "
    "what was committed in `report`); upload the file again"
)
_PROBLEMS[422]["description"] = (
    "A bad header or an empty file (nothing stored); no line storable (`/problems/sales-import-rejected`, the "
    "report in `report`, nothing stored); or the file broke off part way (`/problems/sales-import-stopped`: "
    "the chunks in `report.chunks` stay stored)"
)


@router.post(
    "",
    response_model=SalesImportReport,
    summary="Import a partner's sales lines from CSV",
    responses=_PROBLEMS,
    dependencies=[WRITE],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": _EXAMPLE}},
        }
    },
)
async def import_sales_lines(
    request: Request,
    who: PrincipalDep,
    now: NowDep,
    secrets: WebhookSecretsDep,
    partner_id: Annotated[UUID, Query(description="The partner whose sales the file holds.")],
) -> SalesImportReport:
    """A CSV file (`text/csv`, UTF-8, any size: it is read as it streams in, never held) of one partner's
    sales lines, stored exactly as the same lines sent by webhook would be: the same validation, the same
    de-duplication by `external_id`, rollups and `sales.recorded` events. A partner's own credential imports
    its own sales only (403 otherwise). The partner must be one the registry knows, as for its webhook: a
    404 otherwise, before the file is read.

    **Columns** (header line first, any order): `external_id, kind, occurred_on, payment_status,
    customer_name, product_sku, product_category, quantity, unit_price, amount, currency` and optionally
    `invoice_id, paid_on, customer_domain, customer_country, customer_external_id, customer_is_new, cost,
    deal_registration_id, original_external_id` — the webhook line's fields, `customer.*` and `product.*`
    flattened; an empty optional field is left out.

    **Chunks.** Valid lines are stored in chunks of 1,000, each in its own transaction; the answer lists
    every committed chunk. Uploading the same file again is safe: stored lines come back as `duplicate`.

    **Refused lines** do not stop the import: the answer lists them (line number, external_id, column, reason,
    detail; the first 1,000, `errors_truncated` beyond) — `malformed_record` (wrong number of fields),
    `invalid` (as the webhook would refuse it), `content_differs` (stored with other content; correct with a
    return or credit note), `original_not_found` (a return whose sale is neither stored nor earlier in the
    file). A file with no storable line at all is a 422 `sales-import-rejected`, nothing stored; one that
    breaks off part way (text not UTF-8, a quoted field never closed) is a 422 `sales-import-stopped` whose
    `report` says what was committed."""
    partner = who.partner_scope(partner_id)
    assert partner is not None  # partner_id is required
    # the webhook's own question (cached): both take sales only for partners the registry knows
    await ensure_partner_known(secrets, partner)
    return await service.import_sales(
        request.app.state.session_factory,
        csv_body(request),
        partner_id=partner,
        import_id=ordered_id().hex,
        now=now,
    )

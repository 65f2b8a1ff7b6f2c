"""HTTP of payables: `/v1/payables` (JSON, or CSV with `Accept: text/csv` or `/v1/payables/export.csv`)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from prm_contracts.incentives import PayableRow
from prm_contracts.periods import PeriodLabel
from prm_kit.accept import VARY_ON_ACCEPT, preferred_media_type
from prm_kit.csv_export import csv_attachment, csv_document
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require

from incentives.payables import service

router = APIRouter(prefix="/v1/payables", tags=["payables"], dependencies=[require("incentives:read")])

_CSV = csv_document("For finance.")
_JSON = "application/json"


def _csv(rows: list[PayableRow]) -> Response:
    return csv_attachment(service.payables_csv(rows), filename="payables")


@router.get(
    "/export.csv",
    summary="Payables per partner as CSV",
    response_class=Response,
    responses={**_CSV, **problems(403, 422)},
)
async def export_payables(
    session: SessionDep,
    who: PrincipalDep,
    period: PeriodLabel | None = Query(default=None, description="Only runs of this period."),
    partner_id: UUID | None = Query(default=None),
) -> Response:
    """`partner_id,currency,earned,approved,on_hold,paid`, one row per partner and currency."""
    return _csv(await service.payables(session, period=period, partner_id=partner_id, actor=who))


@router.get(
    "",
    response_model=list[PayableRow],
    summary="Payables per partner: earned, approved, on hold, paid",
    responses={**_CSV, **problems(403, 422)},
)
async def list_payables(
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    period: PeriodLabel | None = Query(default=None, description="Only runs of this period."),
    partner_id: UUID | None = Query(default=None),
    accept: str | None = Header(default=None),
) -> list[PayableRow] | Response:
    """Per partner and currency over the runs (of `period` when given): earned (every payout, drafts
    included), approved not yet paid, on hold, paid. CSV when `Accept` prefers `text/csv` (by quality; on equal
    quality, CSV when named); otherwise JSON. A partner's credential sees its own."""
    rows = await service.payables(session, period=period, partner_id=partner_id, actor=who)
    # nothing acceptable (e.g. `text/csv;q=0` alone): JSON, the format without negotiation
    if preferred_media_type(accept, ("text/csv", _JSON), default=_JSON) == "text/csv":
        csv = _csv(rows)
        csv.headers.update(VARY_ON_ACCEPT)
        return csv
    response.headers.update(VARY_ON_ACCEPT)
    return rows

"""HTTP of statements: `/v1/statements/{partner_id}/{period}` as JSON, CSV (`Accept: text/csv` or the `.csv`
path) and printable HTML (`Accept: text/html` or the `.html` path)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Header, Response
from prm_contracts.incentives import StatementOut
from prm_kit.accept import VARY_ON_ACCEPT, preferred_media_type
from prm_kit.csv_export import csv_attachment, csv_document
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.periods import PeriodPath

from incentives.statements import render, service

router = APIRouter(prefix="/v1/statements", tags=["statements"], dependencies=[require("incentives:read")])

_CSV = csv_document("The statement as CSV.")
_JSON = "application/json"
# on equal quality, the one named first
_FORMATS = ("text/csv", "text/html", _JSON)
_HTML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "Printable HTML."}
}


def _csv(statement: StatementOut) -> Response:
    name = f"statement-{statement.partner_id}-{statement.period}"
    return csv_attachment(render.statement_csv(statement), filename=name)


@router.get(
    "/{partner_id}/{period}.csv",
    summary="A partner's statement of a period as CSV",
    response_class=Response,
    responses={**_CSV, **problems(403, 404, 409, 422)},
)
async def get_statement_csv(
    partner_id: UUID, period: PeriodPath, session: SessionDep, who: PrincipalDep
) -> Response:
    """One row per line contribution (rule, band, rate, share), adjustment, calculated amount and payout of
    each programme, then the totals per currency."""
    return _csv(await service.statement(session, partner_id, period, actor=who))


@router.get(
    "/{partner_id}/{period}.html",
    summary="A partner's statement of a period, printable",
    response_class=Response,
    responses={**_HTML, **problems(403, 404, 409, 422)},
)
async def get_statement_html(
    partner_id: UUID, period: PeriodPath, session: SessionDep, who: PrincipalDep
) -> Response:
    """Server-rendered, no external assets: rules, lines (held ones marked), adjustments, holds, totals."""
    answer = await service.statement(session, partner_id, period, actor=who)
    return Response(render.statement_html(answer), media_type="text/html; charset=utf-8")


@router.get(
    "/{partner_id}/{period}",
    response_model=StatementOut,
    summary="A partner's statement of a period",
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            }
        },
        **problems(403, 404, 409, 422),
    },
)
async def get_statement(
    partner_id: UUID,
    period: PeriodPath,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    accept: str | None = Header(default=None),
) -> StatementOut | Response:
    """Per programme run of the period paying the partner: decision and hold reason, rules, lines with their
    shares (held lines marked), adjustments, calculated and paid amounts; totals per currency of what is paid
    (paid payouts only). `Accept: text/csv` or `text/html` answers those formats, by quality (`q`; `q=0` is
    not acceptable; on equal quality CSV, then HTML, then JSON among those named; JSON when none is
    acceptable). A partner's credential sees its own, approved or paid."""
    answer = await service.statement(session, partner_id, period, actor=who)
    # nothing acceptable (e.g. `text/csv;q=0` alone): JSON, the format without negotiation
    wanted = preferred_media_type(accept, _FORMATS, default=_JSON)
    if wanted == "text/csv":
        csv = _csv(answer)
        csv.headers.update(VARY_ON_ACCEPT)
        return csv
    if wanted == "text/html":
        return Response(
            render.statement_html(answer), media_type="text/html; charset=utf-8", headers=VARY_ON_ACCEPT
        )
    response.headers.update(VARY_ON_ACCEPT)
    return answer

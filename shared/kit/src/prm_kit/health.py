"""`/healthz` (the process is alive) and `/readyz` (the database answers and migrations are at head)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from prm_contracts.health import Health, Readiness
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from prm_kit.db.engine import READ_ONLY
from prm_kit.migrations import current_revision

router = APIRouter(include_in_schema=False)


@router.get("/healthz", response_model=Health)
async def healthz(request: Request) -> Health:
    return Health(service=request.app.state.settings.service_name)


@router.get("/readyz", response_model=Readiness)
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    service = state.settings.service_name
    try:
        async with state.engine.connect() as connection:
            await connection.execution_options(**READ_ONLY)
            await connection.execute(text("SELECT 1"))
            revision = await connection.run_sync(current_revision)
    except (SQLAlchemyError, OSError) as exc:
        body = Readiness(
            status="not_ready",
            service=service,
            database="unreachable",
            migrations="unknown",
            detail=type(exc).__name__,
        )
        return JSONResponse(body.model_dump(), status_code=503)
    at_head = revision == state.head_revision
    body = Readiness(
        status="ready" if at_head else "not_ready",
        service=service,
        database="ok",
        migrations="at_head" if at_head else "behind",
        detail=None
        if at_head
        else f"database at {revision}, code expects {state.head_revision}; run prm migrate",
    )
    return JSONResponse(body.model_dump(), status_code=200 if at_head else 503)

"""`/healthz` (the process is alive) and `/readyz` (the database answers and migrations are at head, or ahead:
a newer release migrated it during a rollout)."""

from __future__ import annotations

from typing import Literal

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
    return _readiness(service, revision, head=state.head_revision, known=state.known_revisions)


def _readiness(
    service: str, revision: str | None, *, head: str | None, known: frozenset[str]
) -> JSONResponse:
    migrations: Literal["at_head", "ahead", "behind", "unknown"]
    if revision == head:
        ready, migrations, detail = True, "at_head", None
    elif revision is not None and revision not in known and _same_lineage(revision, head):
        # A newer release migrated first, as a rollout does (the migrate Job runs before pods are replaced):
        # this one keeps serving until it is replaced, since migrations keep the schema readable by the
        # release before them.
        ready, migrations = True, "ahead"
        detail = f"database at {revision}, newer than this code's {head}: a newer release migrated it"
    elif revision is not None and revision not in known:
        ready, migrations = False, "unknown"
        detail = f"database at {revision}, not one of this service's migrations: another service's database?"
    else:
        ready, migrations = False, "behind"
        detail = f"database at {revision}, code expects {head}; run prm migrate"
    body = Readiness(
        status="ready" if ready else "not_ready",
        service=service,
        database="ok",
        migrations=migrations,
        detail=detail,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def _same_lineage(revision: str, head: str | None) -> bool:
    """Whether an unknown revision is this service's (a newer release's): revision ids are the service's
    name and a number (`scoring0014`), so another service's database is not mistaken for a newer one."""
    return head is not None and revision.rstrip("0123456789") == head.rstrip("0123456789")

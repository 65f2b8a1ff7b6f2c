"""The answer to a request that created a resource, the same in every router that creates one."""

from __future__ import annotations

from fastapi import Response
from prm_kit.etag import etag_headers
from prm_kit.idempotency import IdempotentRequest
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession


async def created(
    session: AsyncSession,
    idempotency: IdempotentRequest,
    body: BaseModel,
    *,
    location: str,
    version: int,
    weak_etag: bool = False,
) -> Response:
    """201 with `body`, its `Location` and its `ETag` (of `version`), kept for replays of the request's
    Idempotency-Key."""
    headers = {"Location": location, **etag_headers(version, weak=weak_etag)}
    return await idempotency.respond(session, body, status_code=201, headers=headers)

"""`GET /v1/status`: for operators, whether each service is ready, asked concurrently (any valid key)."""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import aiohttp
from fastapi import APIRouter, Request
from prm_kit.errors import problems
from pydantic import BaseModel, Field

from gateway.callers import CallerDep

_TIMEOUT = aiohttp.ClientTimeout(total=2.0)

router = APIRouter(tags=["status"])


class ServiceStatus(BaseModel):
    service: str
    status: Literal["ready", "not_ready", "unreachable"]
    detail: str | None = Field(default=None, description="Why a service is not ready, when it says.")
    elapsed_ms: float = Field(description="How long its readiness check took.")


class PlatformStatus(BaseModel):
    status: Literal["ready", "degraded"] = Field(description="`ready` when every service is.")
    services: list[ServiceStatus]


@router.get(
    "/v1/status",
    response_model=PlatformStatus,
    responses=problems(),
    summary="Readiness of every service",
    description="Asks each service's `/readyz` at once; open to any valid API key.",
)
async def get_status(request: Request, _caller: CallerDep) -> PlatformStatus:
    session: aiohttp.ClientSession = request.app.state.proxy.session
    base_urls: dict[str, str] = request.app.state.base_urls
    checks = [_readiness(session, name, url) for name, url in base_urls.items()]
    services = list(await asyncio.gather(*checks))
    ready = all(service.status == "ready" for service in services)
    return PlatformStatus(status="ready" if ready else "degraded", services=services)


async def _readiness(session: aiohttp.ClientSession, service: str, base_url: str) -> ServiceStatus:
    started = time.perf_counter()
    detail: str | None
    try:
        async with session.get(f"{base_url}/readyz", timeout=_TIMEOUT) as answer:
            body = await answer.json(content_type=None)
            ready = answer.status == 200
            status: Literal["ready", "not_ready", "unreachable"] = "ready" if ready else "not_ready"
            detail = None if ready else str(body.get("detail") or body.get("status") or answer.status)
    except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError) as exc:
        status, detail = "unreachable", type(exc).__name__
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return ServiceStatus(service=service, status=status, detail=detail, elapsed_ms=elapsed_ms)

"""The merged OpenAPI document at `/openapi.json`, and the Swagger UI and ReDoc pages that read it.

The gateway asks each service for its document (signed as the gateway) on the first request and keeps
the merge; while any service did not answer, the merge of those that did is served and the next request
asks again. Swagger UI and ReDoc load their scripts from a CDN in the browser.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import structlog
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from prm_contracts.principal import Principal
from prm_contracts.problem import BadGateway
from prm_kit.internal_auth import INTERNAL_HEADER

from gateway.internal_credentials import InternalCredentials
from gateway.openapi_merge import GATEWAY, MergeError, merge_documents

GATEWAY_PRINCIPAL = Principal(subject="service:gateway", scopes=frozenset())
_TIMEOUT = aiohttp.ClientTimeout(total=5.0)
_log = structlog.get_logger("docs")

router = APIRouter(include_in_schema=False)


class MergedDocument:
    """The merged document, fetched from the services once and kept when all of them answered."""

    def __init__(
        self,
        *,
        base_urls: dict[str, str],
        credentials: InternalCredentials,
        own_document: Callable[[], dict[str, Any]],
    ) -> None:
        self._base_urls = base_urls
        self._credentials = credentials
        self._own_document = own_document
        self._complete: dict[str, Any] | None = None
        self._lock = asyncio.Lock()

    async def get(self, session: aiohttp.ClientSession) -> dict[str, Any]:
        if self._complete is not None:
            return self._complete
        async with self._lock:
            if self._complete is not None:
                return self._complete
            names = list(self._base_urls)
            fetched = await asyncio.gather(*(self._fetch(session, name) for name in names))
            documents = {GATEWAY: self._own_document()}
            documents.update({name: doc for name, doc in zip(names, fetched, strict=True) if doc is not None})
            try:
                merged = merge_documents(documents)
            except MergeError as exc:
                _log.error("openapi_merge_failed", error=str(exc))
                raise BadGateway(f"the services' API documents do not merge: {exc}") from exc
            missing = [name for name, doc in zip(names, fetched, strict=True) if doc is None]
            if missing:
                merged["info"]["x-prm-missing-services"] = missing
            else:
                self._complete = merged
            return merged

    async def _fetch(self, session: aiohttp.ClientSession, service: str) -> dict[str, Any] | None:
        headers = {INTERNAL_HEADER: self._credentials.token(GATEWAY_PRINCIPAL)}
        try:
            async with session.get(
                f"{self._base_urls[service]}/openapi.json", headers=headers, timeout=_TIMEOUT
            ) as answer:
                if answer.status != 200:
                    _log.warning("openapi_fetch_failed", service=service, status=answer.status)
                    return None
                document: dict[str, Any] = await answer.json(content_type=None)
                return document
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            _log.warning("openapi_fetch_failed", service=service, error=type(exc).__name__)
            return None


@router.get("/openapi.json")
async def openapi_document(request: Request) -> JSONResponse:
    document: MergedDocument = request.app.state.merged_document
    return JSONResponse(await document.get(request.app.state.proxy.session))


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="PRM API")


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(openapi_url="/openapi.json", title="PRM API")

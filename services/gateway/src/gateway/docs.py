"""The merged OpenAPI document at `/openapi.json`, and the Swagger UI and ReDoc pages that read it.

The document is the file `prm openapi` writes and the repository commits (`openapi/prm.json`), read once
when the gateway starts, so frontend teams see exactly the committed contract. Swagger UI and ReDoc load
their scripts from a CDN in the browser.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)


class OpenApiDocumentError(RuntimeError):
    """The configured OpenAPI document cannot be served; the gateway does not start without it."""


def read_openapi_document(path: Path) -> bytes:
    """The document's bytes, served as they are; checked to be an OpenAPI document in JSON first."""
    hint = "set PRM_OPENAPI_DOCUMENT, or write it with `prm openapi --output openapi/prm.json`"
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise OpenApiDocumentError(
            f"the OpenAPI document {path} cannot be read ({exc.strerror}): {hint}"
        ) from exc
    try:
        document = json.loads(content)
    except ValueError as exc:
        raise OpenApiDocumentError(f"the OpenAPI document {path} is not JSON ({exc}): {hint}") from exc
    if not isinstance(document, dict) or "openapi" not in document:
        raise OpenApiDocumentError(f"{path} is not an OpenAPI document: {hint}")
    return content


@router.get("/openapi.json")
async def openapi_document(request: Request) -> Response:
    content: bytes = request.app.state.openapi_document
    return Response(content, media_type="application/json")


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="PRM API")


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(openapi_url="/openapi.json", title="PRM API")

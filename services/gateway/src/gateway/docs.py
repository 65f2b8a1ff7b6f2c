"""The merged OpenAPI document at `/openapi.json`, and the Swagger UI and ReDoc pages that read it.

The document is the file `prm openapi` writes and the repository commits (`openapi/prm.json`), read once
when the gateway starts, so frontend teams see the committed contract (its problem types' URIs made absolute
with the problem base URI setting, nothing else changed). The pages work without
internet access (air-gapped deployments): Swagger UI's and ReDoc's scripts, style sheet and icon come from the
`fastapi-offline` package and are served by the gateway under `/docs/assets/`, no web font is loaded, and a
Content-Security-Policy keeps the browser from fetching anything from another host (ReDoc's sidebar logo
would otherwise come from its CDN; Swagger UI's online validator badge is switched off).
"""

from __future__ import annotations

import json
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from prm_contracts.problem import NotFound

router = APIRouter(include_in_schema=False)

ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSET_MEDIA_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
# Read once: the files belong to an installed package and do not change while the gateway runs.
_ASSET_STATS = {name: (ASSETS_DIR / name).stat() for name in ASSET_MEDIA_TYPES}
_REVALIDATE = {"Cache-Control": "no-cache"}
# The pages' own inline script (Swagger UI's start-up) and the styles both UIs inject need 'unsafe-inline';
# ReDoc's search runs in a worker made from a blob. Nothing may come from another origin.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)


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


def _asset_url(request: Request, name: str) -> str:
    return f"{_root(request)}/docs/assets/{name}"


def _root(request: Request) -> str:
    """The path prefix a reverse proxy mounts the gateway under (uvicorn's `--root-path`), or ''."""
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def _offline_page(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
    return page


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return _offline_page(
        get_swagger_ui_html(
            openapi_url=f"{_root(request)}/openapi.json",
            title="PRM API",
            swagger_js_url=_asset_url(request, "swagger-ui-bundle.js"),
            swagger_css_url=_asset_url(request, "swagger-ui.css"),
            swagger_favicon_url=_asset_url(request, "favicon.png"),
            # The badge would send the document's URL to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return _offline_page(
        get_redoc_html(
            openapi_url=f"{_root(request)}/openapi.json",
            title="PRM API",
            redoc_js_url=_asset_url(request, "redoc.standalone.js"),
            redoc_favicon_url=_asset_url(request, "favicon.png"),
            with_google_fonts=False,
        )
    )


@router.get("/docs/assets/{name}")
async def docs_asset(name: str, request: Request) -> Response:
    """One of the pages' four assets, by its exact name; any other name is a 404. Browsers revalidate their
    copy by its ETag (a 304), so an upgrade of the assets is seen at once."""
    media_type = ASSET_MEDIA_TYPES.get(name)
    if media_type is None:
        raise NotFound(f"no docs asset named {name!r}")
    path = ASSETS_DIR / name
    asset = FileResponse(path, media_type=media_type, stat_result=_ASSET_STATS[name], headers=_REVALIDATE)
    etag = asset.headers["etag"]
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"ETag": etag, **_REVALIDATE})
    return asset

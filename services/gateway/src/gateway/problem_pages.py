"""`GET /problems/{slug}`: a page about each problem type, at the URI its `type` names.

The catalogue is the `x-problem-types` of the OpenAPI document the gateway serves (built from every
service's error classes by `prm openapi`), so the gateway needs no service's code to describe its errors.
HTML for a browser; JSON (`application/json` in `Accept`) for a program.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prm_contracts.problem import NotFound

router = APIRouter(include_in_schema=False)


def problem_catalogue(request: Request) -> dict[str, dict[str, Any]]:
    state = request.app.state
    catalogue: dict[str, dict[str, Any]] | None = getattr(state, "problem_catalogue", None)
    if catalogue is None:
        catalogue = json.loads(state.openapi_document).get("x-problem-types", {})
        state.problem_catalogue = catalogue
    return catalogue


@router.get("/problems/{slug}")
async def problem_page(slug: str, request: Request) -> Response:
    entry = problem_catalogue(request).get(slug)
    if entry is None:
        raise NotFound(f"no problem type named {slug!r}")
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(entry)
    return HTMLResponse(_page(entry))


def _page(entry: dict[str, Any]) -> str:
    members = "".join(
        f"<dt><code>{escape(name)}</code></dt><dd>{escape(meaning)}</dd>"
        for name, meaning in entry["members"].items()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(entry['title'])}</title></head><body>"
        f"<h1>{escape(entry['title'])}</h1>"
        f"<p>HTTP status <strong>{int(entry['status'])}</strong> · type <code>{escape(entry['type'])}</code></p>"
        f"<p>{escape(entry['description'])}</p>"
        "<p>Answered as <code>application/problem+json</code> with <code>type</code>, <code>title</code>, "
        "<code>status</code>, <code>detail</code> (what happened this time) and <code>instance</code>.</p>"
        + (f"<h2>Extension members</h2><dl>{members}</dl>" if members else "")
        + "</body></html>"
    )

"""Each service's OpenAPI document, shaped as the public contract: problem errors, bearer auth, unique ids."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from prm_contracts.problem import PROBLEM_MEDIA_TYPE, Problem

BEARER_SCHEME = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`prm_…`) created with `prm keys create` or the admin API; or, where the "
        "gateway trusts an identity provider (`PRM_JWT_ISSUER`), an access token (JWT) it issued.",
    }
}
_STANDARD = {
    "401": "Missing, unknown or revoked API key",
    "403": "The key lacks the scope or the partner binding for this operation",
    "422": "Request is not valid",
    "429": "Too many requests",
    "500": "Internal server error",
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def operation_id(route: APIRoute) -> str:
    return route.name


def check_unique_operation_ids(app: FastAPI) -> None:
    seen: set[str] = set()
    # Included routers stay nested in `app.routes`; iter_route_contexts walks every route they hold.
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            name = route.original_route.name
            if name in seen:
                raise RuntimeError(f"duplicate operationId {name!r}: endpoint function names must be unique")
            seen.add(name)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(Problem.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}))
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["Problem"].pop("$defs", None)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["securitySchemes"] = BEARER_SCHEME
    document["security"] = [{"bearerAuth": []}]
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation and "400" not in responses:
                responses["400"] = {"description": "The body is not JSON"}
            for status, description in _STANDARD.items():
                if status == "422" and "422" not in responses:
                    continue
                responses[status] = {
                    "description": responses.get(status, {}).get("description", description),
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}},
                }
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}
    app.openapi_schema = document
    return document

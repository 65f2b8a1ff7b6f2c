"""Each service's OpenAPI document, shaped as the public contract: problem errors, bearer auth, unique ids."""

from __future__ import annotations

import ast
import enum
import functools
import importlib
import inspect
import json
import pkgutil
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from prm_contracts.principal import Principal
from prm_contracts.problem import PROBLEM_MEDIA_TYPE, AppError, Problem, problem_type
from pydantic import TypeAdapter

from prm_kit.errors import ONLY_PROBLEM_TYPES
from prm_kit.etag import ETAG_HEADER, IF_MATCH_HEADER
from prm_kit.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from prm_kit.internal_auth import REQUIRED_SCOPES_ATTRIBUTE

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
PROBLEM_EXAMPLE: dict[str, Any] = {
    "type": problem_type("validation-error"),
    "title": "Request is not valid",
    "status": 422,
    "detail": "1 invalid input: body.country: country must be an ISO 3166-1 alpha-2 code such as DE or US",
    "instance": "/v1/partners",
    "errors": [
        {
            "loc": ["body", "country"],
            "msg": "country must be an ISO 3166-1 alpha-2 code such as DE or US",
            "type": "country_code",
        }
    ],
}


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
    _hoist_body_definitions(document, schemas)
    schemas.update(Problem.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}))
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["Problem"].pop("$defs", None)
    schemas["Problem"]["examples"] = [PROBLEM_EXAMPLE]
    schemas["ValidationIssue"]["examples"] = PROBLEM_EXAMPLE["errors"]
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["securitySchemes"] = BEARER_SCHEME
    document["security"] = [{"bearerAuth": []}]
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation and "400" not in responses:
                responses["400"] = {"description": "The body is not JSON"}
            # 422 on every operation: a query parameter it does not list is refused (prm_kit.query_guard)
            for status, description in _STANDARD.items():
                if status == "403" and operation.get("security") == []:
                    continue  # no credential is taken, so none lacks a scope (a signed webhook)
                declared = responses.get(status, {})
                responses[status] = {
                    "description": declared.get("description", description),
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}},
                }
                if ONLY_PROBLEM_TYPES in declared:
                    responses[status][ONLY_PROBLEM_TYPES] = declared[ONLY_PROBLEM_TYPES]
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}
    document["x-problem-types"] = problem_catalogue(_packages_of(app))
    components["headers"] = RESPONSE_HEADERS
    scopes = {route.name: _required_scopes(route.dependant) for route in _api_routes(app)}
    for path, method, operation in operations(document):
        _parameters_without_null(operation)
        _if_match_required(operation)
        declare_response_headers(operation)
        if required := scopes.get(operation.get("operationId", "")):
            state_required_scopes(operation, list(required))
        _link_create_to_get(document, path, method, operation)
        describe_problem_types(operation, document["x-problem-types"], path)
    name_enum_members(schemas)
    require_discriminators(schemas)
    app.openapi_schema = document
    return document


# --- request bodies read raw ------------------------------------------------------------------------------

_COMPONENT_REF_TEMPLATE = "#/components/schemas/{model}"


def raw_json_body(
    annotation: Any, *, description: str, examples: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The `requestBody` (for a route's `openapi_extra`) of an endpoint that reads its JSON body itself, e.g.
    to verify a signature over its exact bytes: the schema of `annotation` with its models as named
    components (`build_openapi` moves them there), so a union's members are `$ref`s its discriminator
    selects and generated clients name them as the code does. `examples` (name -> value, each checked
    against `annotation` here): bodies the endpoint accepts, where one composed field by field would not
    be (rules across fields)."""
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    content: dict[str, Any] = {"schema": adapter.json_schema(ref_template=_COMPONENT_REF_TEMPLATE)}
    if examples:
        for example in examples.values():
            adapter.validate_python(example)  # an example the endpoint refuses fails at import, not a reader
        content["examples"] = {name: {"value": value} for name, value in examples.items()}
    return {"required": True, "description": description, "content": {"application/json": content}}


def _hoist_body_definitions(document: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Moves the models of `raw_json_body` schemas into the components; one name must mean one model."""
    for path, method, operation in operations(document):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            schema = content.get("schema", {})
            definitions = schema.get("$defs")
            if not definitions:
                continue
            for name, definition in definitions.items():
                if schemas.setdefault(name, definition) != definition:
                    raise RuntimeError(
                        f"{method.upper()} {path}: body model {name!r} differs from the schema of it"
                    )
            # A new dict: the route's `openapi_extra` keeps its own for the next document built from it.
            content["schema"] = {key: value for key, value in schema.items() if key != "$defs"}


# --- every operation ---------------------------------------------------------------------------------------

_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every operation of an OpenAPI document."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in _METHODS:
                yield path, method, operation


def _api_routes(app: FastAPI) -> Iterator[APIRoute]:
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context.original_route


def _parameters_without_null(operation: dict[str, Any]) -> None:
    """A header, query or path parameter is sent or not; it can never be JSON `null`, so the `null` branch
    pydantic gives an optional one only misleads generators (and fuzzers) into sending the text "null"."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        branches = schema.get("anyOf")
        if isinstance(branches, list) and {"type": "null"} in branches:
            rest = [branch for branch in branches if branch != {"type": "null"}]
            del schema["anyOf"]
            if len(rest) == 1:
                schema.update(rest[0])
            else:
                schema["anyOf"] = rest


def _if_match_required(operation: dict[str, Any]) -> None:
    """An operation that answers 428 without `If-Match` requires it: the parameter is optional only so that
    its absence is answered with 428 (which names the current ETag) rather than a bare 422. Not a PUT that
    also creates (201): there `If-Match` is needed only to replace what exists, which the document cannot
    tie to the resource's existence, so it stays optional and the 428 answer says when."""
    responses = operation.get("responses", {})
    if "428" not in responses or "201" in responses:
        return
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name") == IF_MATCH_HEADER:
            parameter["required"] = True


# --- response headers --------------------------------------------------------------------------------------

_HEADER_REF = "#/components/headers/"


def shared_header(name: str) -> dict[str, str]:
    """A reference to one of the headers every document declares (`RESPONSE_HEADERS`), for a route's
    `responses=` where `declare_response_headers` would not add it (a `Location` on a 200)."""
    if name not in RESPONSE_HEADERS:
        raise KeyError(f"{name} is not a shared response header")
    return {"$ref": _HEADER_REF + name}


REQUEST_ID = "X-Request-ID"
CONTENT_DISPOSITION = "Content-Disposition"
RESPONSE_HEADERS: dict[str, Any] = {
    REQUEST_ID: {
        "description": "The request's id: the caller's own when it sent a sane one, else a new one. Quote it "
        "when reporting a problem.",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$", "examples": ["3f2a9c0d1e"]},
    },
    "Location": {
        "description": "The URL path of the resource created.",
        "schema": {"type": "string", "examples": ["/v1/partners/0b8e9a52-3c1e-4f6a-9a57-2f0d6f3c1a10"]},
    },
    REPLAYED_HEADER: {
        "description": "`true` when this answer is the stored answer to an earlier request with the same "
        "`Idempotency-Key` (nothing was changed this time).",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0, "examples": [5]},
    },
    CONTENT_DISPOSITION: {
        "description": "A CSV answer is a download: `attachment` and the file name to save it as.",
        "schema": {"type": "string", "examples": ['attachment; filename="sales-lines.csv"']},
    },
}


# What the gateway tells every caller it counted (every answer but a 401) of the caller's rate limit
# (draft-ietf-httpapi-ratelimit-headers), so that a client can pace itself before a 429.
RATE_LIMIT_HEADERS: dict[str, Any] = {
    "RateLimit-Limit": {
        "description": "Requests the caller may make at once (its bucket's size; it refills steadily).",
        "schema": {"type": "integer", "minimum": 1, "examples": [100]},
    },
    "RateLimit-Remaining": {
        "description": "Requests the caller may still make at once, after this one.",
        "schema": {"type": "integer", "minimum": 0, "examples": [99]},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the caller's allowance is whole again.",
        "schema": {"type": "integer", "minimum": 0, "examples": [1]},
    },
}


def declare_rate_limit_headers(operation: dict[str, Any]) -> None:
    """The gateway's `RateLimit-*` headers on every 2xx and 4xx answer of the operation but a 401 (a caller
    it could not identify is counted against nobody's limit)."""
    for status, response in operation.get("responses", {}).items():
        if status.startswith(("2", "4")) and status != "401" and "$ref" not in response:
            headers = response.setdefault("headers", {})
            for name in RATE_LIMIT_HEADERS:
                headers[name] = {"$ref": _HEADER_REF + name}


def declare_response_headers(operation: dict[str, Any]) -> None:
    """Declares on every answer of the operation the headers it carries: `X-Request-ID` on all, `Location`
    (and `Idempotent-Replayed` where an `Idempotency-Key` is taken) on a 201, `Retry-After` on 429 and 503,
    `Content-Disposition` on a CSV answer.
    Idempotent, so that the merged document can call it again once the gateway's own answers are added."""
    idempotent = any(
        parameter.get("in") == "header" and parameter.get("name") == IDEMPOTENCY_HEADER
        for parameter in operation.get("parameters", [])
    )
    for status, response in operation.get("responses", {}).items():
        headers = response.setdefault("headers", {})
        headers[REQUEST_ID] = {"$ref": _HEADER_REF + REQUEST_ID}
        if status == "201":
            headers["Location"] = {"$ref": _HEADER_REF + "Location"}
        if idempotent and status.startswith("2"):
            # a replay answers the first status again, whichever success it was
            headers[REPLAYED_HEADER] = {"$ref": _HEADER_REF + REPLAYED_HEADER}
        if status in {"429", "503"}:
            headers["Retry-After"] = {"$ref": _HEADER_REF + "Retry-After"}
        if "text/csv" in response.get("content", {}):
            headers[CONTENT_DISPOSITION] = {"$ref": _HEADER_REF + CONTENT_DISPOSITION}
        if ETAG_HEADER in headers:
            headers[ETAG_HEADER].setdefault("description", "The version of the resource.")


# --- scopes ------------------------------------------------------------------------------------------------


def _required_scopes(dependant: Dependant) -> tuple[str, ...]:
    """The scopes a route's `require(...)` dependency accepts (any one of them), found among its
    dependencies at any depth; () when it has none."""
    for dependency in dependant.dependencies:
        scopes = getattr(dependency.call, REQUIRED_SCOPES_ATTRIBUTE, None)
        if scopes:
            return tuple(scopes)
        if found := _required_scopes(dependency):
            return found
    return ()


def state_required_scopes(operation: dict[str, Any], scopes: list[str]) -> None:
    """`x-required-scopes` (a key holding any one of them may call the operation; `admin` always may) and the
    same said in the description."""
    operation["x-required-scopes"] = scopes
    said = " or ".join(f"`{scope}`" for scope in scopes)
    sentence = f"Needs the scope {said} (or `admin`)." if scopes != ["admin"] else "Needs the scope `admin`."
    description = re.sub(r"\n*Needs the scope [^\n]*\.$", "", operation.get("description", "").rstrip())
    operation["description"] = f"{description}\n\n{sentence}" if description else sentence


def scopes_granting(gateway_scope: str | None, service_scopes: list[str]) -> list[str]:
    """The scopes of which any one lets a key past both the gateway's check (`gateway_scope`, by path and
    method) and the service's (any of `service_scopes`); every one of them when no single scope does."""
    candidates = list(dict.fromkeys([*service_scopes, *([gateway_scope] if gateway_scope else [])]))

    def passes(scope: str) -> bool:
        holder = Principal(subject="openapi", scopes=frozenset({scope}))
        service_ok = not service_scopes or any(holder.has_scope(needed) for needed in service_scopes)
        return service_ok and (gateway_scope is None or holder.has_scope(gateway_scope))

    return [scope for scope in candidates if passes(scope)] or candidates


# --- links -------------------------------------------------------------------------------------------------

_PATH_PARAMETER = re.compile(r"\{([^}]+)\}")


def _link_create_to_get(document: dict[str, Any], path: str, method: str, operation: dict[str, Any]) -> None:
    """A 201 links to the GET of what it created (`{path}/{id}`), with the other path parameters from the
    request and the item's from the answer's body: the body's field of the parameter's own name when it has
    one (a create that answers with the first version of what it made: `programme_id`, `number`), else `id`."""
    created = operation.get("responses", {}).get("201")
    if method != "post" or created is None:
        return
    body = _schema(document, created.get("content", {}).get("application/json", {}).get("schema", {}))
    for item_path, item in document.get("paths", {}).items():
        get = item.get("get")
        tail = item_path.removeprefix(path + "/")
        if get is None or tail == item_path or not re.fullmatch(r"\{[^}/]+\}", tail):
            continue
        parameters = {name: f"$request.path.{name}" for name in _PATH_PARAMETER.findall(path)}
        name = tail[1:-1]
        parameters[name] = f"$response.body#/{name if name in body.get('properties', {}) else 'id'}"
        created.setdefault("links", {})["get_created"] = {
            "operationId": get["operationId"],
            "parameters": parameters,
            "description": f"`{get['operationId']}`: the resource just created.",
        }
        return


def _schema(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The schema itself, where `node` may be a `$ref` to a named one."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
        named: dict[str, Any] = document["components"]["schemas"][ref[len(_SCHEMA_REF) :]]
        return named
    return node


# --- problem types -----------------------------------------------------------------------------------------

_NOT_MEMBERS = frozenset({"headers", "errors"})
_UNEXPECTED = "The service failed unexpectedly; nothing was changed. Quote the request id when reporting it."


def _packages_of(app: FastAPI) -> list[str]:
    """The top-level packages of the app's endpoints, plus the shared ones every service raises from."""
    own = {route.endpoint.__module__.split(".")[0] for route in _api_routes(app)}
    return sorted(own | {"prm_contracts", "prm_kit"})


_SHARED = frozenset({"prm_contracts", "prm_kit"})
_GENERIC_ERRORS = "prm_contracts.problem"
_NOT_IMPORTED = frozenset({"prm_kit.testing", "prm_kit.fuzzing"})  # test tooling, no error types


def _import_shared_modules() -> None:
    """Imports every module of the shared packages, so that their error classes exist whichever service was
    imported first: a document must not depend on what else the process has built before it."""
    for package in sorted(_SHARED):
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, package + "."):
            if module.name not in _NOT_IMPORTED:
                importlib.import_module(module.name)


def _names_used(packages: list[str]) -> set[str]:
    """Every name the packages' source mentions (imports, raises, references)."""
    names: set[str] = set()
    for source in _sources(packages):
        names |= _source_facts(source, source.stat().st_mtime_ns).names
    return names


@dataclass(frozen=True)
class _SourceFacts:
    names: frozenset[str]
    keywords: dict[str, frozenset[str]]  # by the name called: the keyword arguments a call passes


@functools.cache
def _source_facts(source: Path, mtime_ns: int) -> _SourceFacts:
    """What one source file names and passes, parsed once per process and version of the file: parsing a
    service's source is most of a document's build, and a test session builds many apps' documents."""
    names: set[str] = set()
    keywords: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.rsplit(".", 1)[-1])
        elif isinstance(node, ast.Call):
            func = node.func
            called = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            keywords.setdefault(called, set()).update(kw.arg for kw in node.keywords if kw.arg)
    return _SourceFacts(frozenset(names), {name: frozenset(args) for name, args in keywords.items()})


def _sources(packages: list[str]) -> Iterator[Path]:
    for package in packages:
        module = sys.modules.get(package)
        if module is not None and module.__file__ is not None:
            yield from Path(module.__file__).parent.rglob("*.py")


def _error_classes(packages: list[str]) -> list[type[AppError]]:
    """The service's own error classes, the kit's and the generic ones; a shared domain error (e.g.
    `prm_contracts.sales.WebhookIdReused`) only when the service's own code names it."""
    _import_shared_modules()
    own = [package for package in packages if package not in _SHARED]
    used = _names_used(own)
    found: list[type[AppError]] = [AppError]
    pending = list(AppError.__subclasses__())
    while pending:
        cls = pending.pop(0)
        pending.extend(cls.__subclasses__())
        top = cls.__module__.split(".")[0]
        domain = top == "prm_contracts" and cls.__module__ != _GENERIC_ERRORS
        if top in packages and (not domain or cls.__name__ in used) and cls not in found:
            found.append(cls)
    return found


def _raised_members(packages: list[str], names: set[str]) -> dict[str, set[str]]:
    """Per error class name, the extension members its raise sites pass (keyword arguments), read from the
    packages' source: what a problem of that type can carry, without anyone listing it by hand."""
    members: dict[str, set[str]] = {}
    for source in _sources(packages):
        for name, passed in _source_facts(source, source.stat().st_mtime_ns).keywords.items():
            if name in names:
                members.setdefault(name, set()).update(passed - _NOT_MEMBERS)
    return members


def problem_catalogue(packages: list[str]) -> dict[str, dict[str, Any]]:
    """Every problem type the packages can answer with, by slug: its URI, title, status, what it means and
    its extension members. Built from the AppError subclasses in code, so a new type is listed at once."""
    classes = _error_classes(packages)
    raised = _raised_members(packages, {cls.__name__ for cls in classes})
    catalogue: dict[str, dict[str, Any]] = {}
    for cls in sorted(classes, key=lambda c: (c.status, c.slug)):
        members = {name: "" for name in sorted(raised.get(cls.__name__, ()))}
        for base in reversed(cls.__mro__):
            members.update(base.__dict__.get("members", {}))
        if cls.status in {400, 422}:
            members.setdefault("errors", "Each invalid input: `loc` (where), `msg` (why), `type` (a code).")
        own_doc = cls.__dict__.get("__doc__") if cls is not AppError else _UNEXPECTED
        entry = catalogue.setdefault(
            cls.slug,
            {
                "type": problem_type(cls.slug),
                "title": cls.title,
                "status": cls.status,
                "description": inspect.cleandoc(own_doc).split("\n\n")[0] if own_doc else cls.title,
                "members": {},
            },
        )
        for name, meaning in members.items():
            entry["members"][name] = entry["members"].get(name) or meaning or "See the problem's `detail`."
    return catalogue


def describe_problem_types(
    operation: dict[str, Any], catalogue: dict[str, dict[str, Any]], path: str = ""
) -> None:
    """Lists, on each error answer of an operation, the problem types with that status (all the service's,
    or those `ONLY_PROBLEM_TYPES` names) and their extension members (`x-problem-types`, and in the
    description with links to each type's page), and an example body of the first."""
    for status, response in operation.get("responses", {}).items():
        if not status.startswith(("4", "5")):
            continue
        types = [entry for entry in catalogue.values() if str(entry["status"]) == status]
        if only := response.get(ONLY_PROBLEM_TYPES):
            types = [entry for entry in types if entry["type"].rsplit("/", 1)[-1] in only]
        if not types:
            continue
        response["x-problem-types"] = [entry["type"] for entry in types]
        listed = "; ".join(
            f"[`{entry['type'].rsplit('/', 1)[-1]}`]({entry['type']})"
            + (f" ({', '.join(f'`{m}`' for m in entry['members'])})" if entry["members"] else "")
            for entry in types
        )
        base = response.get("description", "").split("\n\nProblem types: ")[0]
        response["description"] = f"{base}\n\nProblem types: {listed}."
        instance = _PATH_PARAMETER.sub(EXAMPLE_ID, path) or None
        content = response.get("content", {}).get(PROBLEM_MEDIA_TYPE)
        if content is not None:  # one body per status: the types' pages have the rest
            content["example"] = problem_example(types[0], instance)


# --- shared problem answers ----------------------------------------------------------------------------

_COMPONENTS = "#/components/"
_RESPONSE_REF = _COMPONENTS + "responses/"
_PARAMETER_REF = _COMPONENTS + "parameters/"


def share_problem_responses(document: dict[str, Any], owners: dict[str, str]) -> None:
    """Moves each distinct error answer (4xx, 5xx) of the operations into `components/responses` and refers
    to it by `$ref`: the ~2000 error answers of the API are a few dozen distinct ones, repeated inline they
    were most of the document. The example body gets one `instance` (`EXAMPLE_INSTANCE`), so that answers
    differing only in their path are one. Names (by `owners`, operationId -> service label): the most used
    variant of a status is the status's reason (`NotFound`); another is the service's
    (`IncentivesConflict`) when it is that service's only other one, else the first operation's
    (`ImportSalesFileConflict`)."""
    variants: dict[str, dict[str, Any]] = {}  # canonical JSON -> status, response, users
    uses: list[tuple[dict[str, Any], str, str]] = []  # (responses, status, key)
    for _path, _method, operation in operations(document):
        responses = operation.get("responses", {})
        for status, response in responses.items():
            if not status.startswith(("4", "5")) or "$ref" in response:
                continue
            example = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {}).get("example")
            if isinstance(example, dict) and "instance" in example:
                example["instance"] = EXAMPLE_INSTANCE
            key = json.dumps(response, sort_keys=True)
            variant = variants.setdefault(key, {"status": status, "response": response, "users": []})
            operation_id = operation.get("operationId", "")
            variant["users"].append((owners.get(operation_id, ""), operation_id))
            uses.append((responses, status, key))
    names = _response_names(variants)
    shared = document.setdefault("components", {}).setdefault("responses", {})
    for key, name in names.items():
        shared[name] = variants[key]["response"]
    for responses, status, key in uses:
        responses[status] = {"$ref": _RESPONSE_REF + names[key]}


def _response_names(variants: dict[str, dict[str, Any]]) -> dict[str, str]:
    by_status: dict[str, list[str]] = {}
    for key, variant in variants.items():
        by_status.setdefault(variant["status"], []).append(key)
    names: dict[str, str] = {}
    for status, keys in sorted(by_status.items()):
        reason = _pascal(HTTPStatus(int(status)).phrase)
        # Most used first, then by content: the names do not depend on the order of the paths.
        common, *others = sorted(keys, key=lambda k: (-len(variants[k]["users"]), k))
        names[common] = reason
        services = [{service for service, _ in variants[k]["users"]} for k in others]
        for key, owned in zip(others, services, strict=True):
            service = next(iter(owned)) if len(owned) == 1 else ""
            alone = bool(service) and sum(1 for other in services if other == owned) == 1
            first_operation = variants[key]["users"][0][1]
            name = f"{_pascal(service)}{reason}" if alone else f"{_pascal(first_operation)}{reason}"
            if name in names.values():
                raise RuntimeError(f"two distinct {status} answers would both be components/responses/{name}")
            names[key] = name
    return names


def _pascal(words: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", words) if part)


def share_parameters(document: dict[str, Any]) -> None:
    """Moves each parameter that two or more operations declare alike (`partner_id`, `limit`, `cursor`,
    `Idempotency-Key`, `If-Match`…) into `components/parameters` and refers to it by `$ref`. Names: the
    most used variant of a parameter name is that name in PascalCase (`IdempotencyKey`); another is
    suffixed `Required`/`Optional` when that tells it apart, else with its first operation's id."""
    variants: dict[str, dict[str, Any]] = {}  # canonical JSON -> parameter, users
    for _path, _method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if "$ref" not in parameter:
                key = json.dumps(parameter, sort_keys=True)
                variant = variants.setdefault(key, {"parameter": parameter, "users": []})
                variant["users"].append(operation.get("operationId", ""))
    repeated = {key: variant for key, variant in variants.items() if len(variant["users"]) > 1}
    by_name: dict[str, list[str]] = {}
    for key, variant in repeated.items():
        by_name.setdefault(variant["parameter"]["name"], []).append(key)
    names: dict[str, str] = {}
    for parameter_name, keys in sorted(by_name.items()):
        common, *others = sorted(keys, key=lambda k: (-len(repeated[k]["users"]), k))
        base = _pascal(parameter_name)
        names[common] = base
        for key in others:
            suffix = "Required" if repeated[key]["parameter"].get("required") else "Optional"
            name = base + suffix
            if name in names.values() or any(
                repeated[other]["parameter"].get("required") == repeated[key]["parameter"].get("required")
                for other in others
                if other != key
            ):
                name = base + _pascal(repeated[key]["users"][0])
            if name in names.values():
                raise RuntimeError(f"two distinct parameters would both be components/parameters/{name}")
            names[key] = name
    if not names:
        return
    shared = document.setdefault("components", {}).setdefault("parameters", {})
    for key, name in names.items():
        shared[name] = repeated[key]["parameter"]
    for _path, _method, operation in operations(document):
        if "parameters" in operation:
            operation["parameters"] = [
                {"$ref": _PARAMETER_REF + names[key]}
                if (key := json.dumps(p, sort_keys=True)) in names
                else p
                for p in operation["parameters"]
            ]


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The object itself, where `node` may be a `$ref` to a shared one (`#/components/<kind>/<name>`)."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_COMPONENTS) and not ref.startswith(_SCHEMA_REF):
        kind, name = ref[len(_COMPONENTS) :].split("/", 1)
        resolved: dict[str, Any] = document["components"][kind][name]
        return resolved
    return node


# --- discriminated unions --------------------------------------------------------------------------------


def require_discriminators(schemas: dict[str, Any]) -> None:
    """Marks each discriminator property required in the schemas its mapping names. A union member may give
    its tag a default (`kind: Literal["linear"] = "linear"`), which pydantic documents as optional, yet the
    union refuses a body without it (`union_tag_not_found`) and always sends it; said as optional, the
    `oneOf` branches overlap and generated clients cannot tell them apart."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            discriminator = node.get("discriminator")
            if isinstance(discriminator, dict):
                name = discriminator.get("propertyName")
                for ref in discriminator.get("mapping", {}).values():
                    target = schemas.get(ref.removeprefix(_SCHEMA_REF)) if isinstance(ref, str) else None
                    if target is not None and name in target.get("properties", {}):
                        required = target.setdefault("required", [])
                        if name not in required:
                            required.insert(0, name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schemas)


# --- enums -------------------------------------------------------------------------------------------------


def _enum_classes() -> Iterator[type[enum.Enum]]:
    pending: list[type[enum.Enum]] = list(enum.Enum.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        yield cls


def name_enum_members(schemas: dict[str, Any]) -> None:
    """`x-enum-varnames` on each enum schema from its Python members' names (`PartnerSort.DISPLAY_NAME_DESC`
    for `-display_name`), so generated clients (openapi-python-client, openapi-typescript `--enum`, OpenAPI
    Generator) name members as the code does instead of `VALUE_1`."""
    by_title: dict[tuple[str, tuple[Any, ...]], list[str]] = {}
    for cls in _enum_classes():
        values = tuple(member.value for member in cls)
        by_title.setdefault((cls.__name__, values), [member.name for member in cls])
    for name, schema in schemas.items():
        values = schema.get("enum")
        if isinstance(values, list):
            names = by_title.get((schema.get("title", name), tuple(values)))
            if names:
                schema["x-enum-varnames"] = names


# --- examples ----------------------------------------------------------------------------------------------

_SCHEMA_REF = "#/components/schemas/"
_JSON = "application/json"
EXAMPLE_ID = "0b8e9a52-3c1e-4f6a-9a57-2f0d6f3c1a10"
EXAMPLE_INSTANCE = f"/v1/partners/{EXAMPLE_ID}"
_EXAMPLE_START = "2026-07-01"
_EXAMPLE_END = "2031-06-30"  # far enough ahead that "cannot be in the past" rules keep accepting it
# A property named like the end of a span gets the later date, so that a composed example keeps from < to.
_END_WORDS = ("_to", "until", "end", "expires", "expiry", "close", "due", "deadline")
_RESOURCE_SUFFIXES = ("In", "Out", "Patch", "Created", "Summary")
# Who did something is a principal's subject throughout PRM (`key:<api key id>`, `jwt:<sub>`, `service:<name>`).
_SUBJECT_EXAMPLE = "key:7c9e6679-7425-40de-944b-e07fc1f90ae7"


def _names_a_subject(prop: str) -> bool:
    return prop == "actor" or prop.endswith("_by")


class _NoExample(Exception):
    """The schema has a part (a free text without an example) that cannot be given a realistic value."""


def _first_example(schema: dict[str, Any]) -> Any:
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    if "example" in schema:
        return schema["example"]
    raise _NoExample


_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "array": list,
    "object": dict,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
}


def _fits(value: Any, kind: Any) -> bool:
    """Whether a value borrowed from another schema has the JSON type asked for (any, when none is)."""
    expected = _JSON_TYPES.get(kind) if isinstance(kind, str) else None
    if expected is None:
        return kind is None
    return isinstance(value, expected) and not (kind in {"integer", "number"} and isinstance(value, bool))


def _plain_items_fit(values: list[Any], items: dict[str, Any]) -> bool:
    """Whether a list borrowed from a like-named property of another schema fits these items: only plain
    values of the item type (a list of objects of another schema, e.g. a problem's `errors` for an import
    report's `errors`, would not)."""
    if not values or any(key in items for key in ("$ref", "properties", "anyOf", "oneOf", "allOf", "enum")):
        return False
    return all(_fits(value, items.get("type")) for value in values)


def _resource_stem(name: str) -> str:
    for suffix in _RESOURCE_SUFFIXES:
        if name.endswith(suffix) and name != suffix:
            return name[: -len(suffix)]
    return name


class _ExampleComposer:
    """Composes a schema's example from what the document already says: its own `examples`, its properties'
    `examples`, the example the same property has on a sibling schema of the same resource (`PartnerIn`'s
    `legal_name` for `PartnerOut`), enums, defaults and formats. A free-text property with none of these has
    no realistic value, so a schema holding one (required) gets no example: a test names it."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas
        self.by_resource: dict[tuple[str, str], Any] = {}
        self.by_property: dict[str, Any] = {}
        for name, schema in schemas.items():
            for prop, value in self._property_examples(schema):
                self.by_resource.setdefault((_resource_stem(name), prop), value)
                self.by_property.setdefault(prop, value)
        self.done: dict[str, Any] = {}
        self.failed: set[str] = set()

    def _property_examples(self, schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        own = schema.get("examples")
        if isinstance(own, list) and own and isinstance(own[0], dict):
            yield from own[0].items()
        for prop, sub in schema.get("properties", {}).items():
            for branch in [sub, *sub.get("anyOf", [])]:
                try:
                    yield prop, _first_example(branch)
                    break
                except _NoExample:
                    continue

    def named(self, name: str) -> Any:
        if name in self.done:
            return self.done[name]
        if name in self.failed:
            raise _NoExample
        self.failed.add(name)  # a recursive schema ends here rather than looping
        value = self.value(self.schemas[name], resource=_resource_stem(name), prop="")
        self.failed.discard(name)
        self.done[name] = value
        return value

    def value(self, schema: dict[str, Any], *, resource: str, prop: str) -> Any:
        try:
            return _first_example(schema)
        except _NoExample:
            pass
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
            return self.named(ref[len(_SCHEMA_REF) :])
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        branches = schema.get("anyOf") or schema.get("oneOf")
        if branches:
            for branch in branches:
                if branch.get("type") == "null":
                    continue
                try:
                    return self.value(branch, resource=resource, prop=prop)
                except _NoExample:
                    continue
            if {"type": "null"} in branches:
                return None
            raise _NoExample
        if schema.get("default") is not None:
            return schema["default"]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return self._object(schema, resource)
        pooled = self.by_resource.get((resource, prop), self.by_property.get(prop))
        if prop and (resource, prop) in self.by_resource and _fits(self.by_resource[(resource, prop)], kind):
            return self.by_resource[(resource, prop)]
        if kind == "array":
            items = schema.get("items", {})
            if isinstance(pooled, list) and _plain_items_fit(pooled, items):
                return pooled
            item = self.value(items, resource=resource, prop=prop)
            return [item] * max(1, int(schema.get("minItems", 1)))
        if kind == "string":
            return self._string(schema, prop)
        if kind in {"integer", "number"}:
            return self._number(schema, integer=kind == "integer")
        if kind == "boolean":
            return True
        if prop in self.by_property and _fits(pooled, kind):
            return pooled
        raise _NoExample

    def _object(self, schema: dict[str, Any], resource: str) -> dict[str, Any]:
        required = set(schema.get("required", []))
        composed: dict[str, Any] = {}
        for prop, sub in schema.get("properties", {}).items():
            try:
                composed[prop] = self.value(sub, resource=resource, prop=prop)
            except _NoExample:
                if prop in required:
                    raise
        return composed

    @staticmethod
    def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
        """The smallest of 1 and what the bounds allow."""
        low = schema.get(
            "minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else 1
        )
        picked = max(low, 1)
        if "maximum" in schema:
            picked = min(picked, schema["maximum"])
        if "exclusiveMaximum" in schema and picked >= schema["exclusiveMaximum"]:
            picked = schema["exclusiveMaximum"] - 1
        return int(picked) if integer else picked

    def _string(self, schema: dict[str, Any], prop: str) -> str:
        late = any(word in prop for word in _END_WORDS)
        match schema.get("format"):
            case "uuid":
                return EXAMPLE_ID
            case "date-time":
                return f"{_EXAMPLE_END if late else _EXAMPLE_START}T09:30:00Z"
            case "date":
                return _EXAMPLE_END if late else _EXAMPLE_START
            case "email":
                return "jane.doe@example.com"
            case "uri":
                return "https://partners.example.com/"
        pooled = self.by_property.get(prop)
        if isinstance(pooled, str):
            return pooled
        if _names_a_subject(prop):
            return _SUBJECT_EXAMPLE
        raise _NoExample


def compose_examples(document: dict[str, Any]) -> None:
    """Gives every component schema that has none an `examples` entry composed from what the document says
    (see `_ExampleComposer`), and each JSON request body and success answer the example of its schema
    unless that schema is a component with an example of its own (which viewers show for it)."""
    schemas = document.get("components", {}).get("schemas", {})
    composer = _ExampleComposer(schemas)
    for name, schema in schemas.items():
        if "examples" in schema:
            continue
        try:
            value = composer.named(name)
        except _NoExample:
            continue
        if "enum" in schema:  # an enum's values are its examples
            continue
        if value == {} and schema.get("properties"):  # none of its properties has a value: says nothing
            continue
        schema["examples"] = [value]
        if isinstance(value, dict):
            _property_examples_from(schema, value)
    for _path, _method, operation in operations(document):
        media = [operation.get("requestBody", {}).get("content", {}).get(_JSON)]
        media += [
            response.get("content", {}).get(_JSON)
            for status, response in operation.get("responses", {}).items()
            if status.startswith("2")
        ]
        for content in media:
            if content is None or "schema" not in content or "example" in content or "examples" in content:
                continue
            if _named_with_example(content["schema"], schemas):
                continue  # viewers show the schema's own; repeated on each body it was a fifth of the document
            try:
                content["example"] = composer.value(content["schema"], resource="", prop="")
            except _NoExample:
                continue


def _named_with_example(schema: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """Whether the schema is a `$ref` to a component schema that has `examples`."""
    ref = schema.get("$ref")
    return isinstance(ref, str) and bool(schemas.get(ref.removeprefix(_SCHEMA_REF), {}).get("examples"))


def _property_examples_from(schema: dict[str, Any], example: dict[str, Any]) -> None:
    """Each plain-valued property without examples gets its value in the schema's example (a frontend reads
    properties one by one; an object- or `$ref`-valued one shows the example of its own schema)."""
    for prop, sub in schema.get("properties", {}).items():
        value = example.get(prop)
        if value is None or isinstance(value, dict | list) or "$ref" in sub or "examples" in sub:
            continue
        if "enum" in sub or any("$ref" in branch or "examples" in branch for branch in sub.get("anyOf", [])):
            continue
        sub["examples"] = [value]


def problem_example(entry: dict[str, Any], instance: str | None) -> dict[str, Any]:
    """A problem body of one catalogued type, as an answer would carry it."""
    body: dict[str, Any] = {
        "type": entry["type"],
        "title": entry["title"],
        "status": entry["status"],
        "detail": entry["description"],
        "instance": instance,
    }
    if "errors" in entry["members"]:
        body["errors"] = PROBLEM_EXAMPLE["errors"]
    return body

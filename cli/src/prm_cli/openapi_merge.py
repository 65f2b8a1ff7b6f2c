"""One OpenAPI 3.1 document for the whole API, merged from each service's document and the gateway's own.

`merge_documents` is pure. Rules:
- paths are united; a path and method defined twice, or an operationId used twice, is an error;
- component schemas with one name and one definition are kept once; when services define different
  schemas under one name, every service's variant is renamed `<Service><Name>` (e.g. `ScoringSummary`)
  and that service's `$ref`s (and its title) are rewritten, repeated until no clash is left (a schema that refers to a
  renamed one may itself differ afterwards); a renamed schema that still clashes is an error;
- tags are kept in first-seen order (the gateway's first), the bearer scheme is declared and required
  everywhere except on `/v1/webhooks/…`, which is public (signed deliveries, no API key), and optional on
  the operations open to applicants (`gateway.routing.OPEN_TO_APPLICANTS`);
- operations of the services also document the answers the gateway itself may give (413, 502-504), with
  the headers they carry (`X-Request-ID`, `Retry-After` on 503) like every other answer; every 2xx and 4xx
  answer but a 401 carries the caller's `RateLimit-*` headers;
- the one server is `/`, the gateway that serves the document;
- every schema, JSON request body and success answer gets an example composed from the examples its
  properties and sibling schemas carry (`prm_kit.openapi.compose_examples`), each problem answer an example
  body of a problem type it lists;
- each distinct problem answer is written once, in `components/responses`, and referred to by `$ref`
  (`prm_kit.openapi.share_problem_responses`); so is each parameter two operations declare alike
  (`share_parameters`).

`build_merged_openapi` builds the document in-process from every app, without running any, for
`prm openapi`; the gateway serves the file it writes.
"""

from __future__ import annotations

import copy
import importlib
import json
import re
from typing import Any

from gateway.routing import OPEN_TO_APPLICANTS, match
from prm_contracts.problem import PROBLEM_MEDIA_TYPE
from prm_kit.errors import ONLY_PROBLEM_TYPES
from prm_kit.openapi import (
    BEARER_SCHEME,
    RATE_LIMIT_HEADERS,
    RESPONSE_HEADERS,
    compose_examples,
    declare_rate_limit_headers,
    declare_response_headers,
    describe_problem_types,
    scopes_granting,
    share_parameters,
    share_problem_responses,
    state_required_scopes,
)
from pydantic import SecretStr

from prm_cli.services import BACKENDS, GATEWAY, Service

WEBHOOK_PREFIX = "/v1/webhooks"
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_SCHEMA_REF = "#/components/schemas/"
_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _SCHEMA_REF + "Problem"}}}
_GATEWAY_ANSWERS = {
    "502": "The service failed to answer properly",
    "503": "The service cannot be reached (see Retry-After)",
    "504": "The service did not answer in time",
}
_BODY_TOO_LARGE = "Request body too large"
_DESCRIPTION = (
    "The PRM channel-partner-management API, served by its gateway.\n\n"
    "Authenticate with an API key: `Authorization: Bearer prm_…`. Each key carries scopes "
    "(`admin`, or `<resource>:read` / `<resource>:write`) and may be bound to one partner. "
    "Errors are RFC 9457 `application/problem+json`; every answer carries `X-Request-ID`. "
    "`/v1/webhooks/…` takes signed deliveries (Standard Webhooks) without an API key, and "
    "`POST /v1/applications` (the public partner application form) may be called without one, "
    "rate-limited per client address."
)


class MergeError(ValueError):
    """The documents cannot be merged into one consistent API; the message says where."""


def merge_documents(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One OpenAPI 3.1 document from each service's (keyed by service name), see the module's rules."""
    documents = copy.deepcopy(documents)
    renames = _schema_renames(documents)
    merged_paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    tags: dict[str, dict[str, Any]] = {}
    owners: dict[str, str] = {}  # operationId -> service
    problem_types: dict[str, dict[str, Any]] = {}
    for service, document in documents.items():
        rename = renames[service]
        catalogue = document.get("x-problem-types", {})
        problem_types.update(catalogue)
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            schemas[rename.get(name, name)] = _renamed(name, _rewrite_refs(schema, rename), rename)
        for tag in document.get("tags", []):
            tags.setdefault(tag["name"], tag)
        for path, item in document.get("paths", {}).items():
            target = merged_paths.setdefault(path, {})
            for key, operation in _rewrite_refs(item, rename).items():
                if key not in _METHODS:
                    target.setdefault(key, operation)
                    continue
                if key in target:
                    raise MergeError(f"{key.upper()} {path} is defined by more than one service ({service})")
                operation_id = operation.get("operationId")
                if not operation_id:
                    raise MergeError(f"{key.upper()} {path} of {service} has no operationId")
                if operation_id in owners:
                    raise MergeError(
                        f"operationId {operation_id!r} is used by both {owners[operation_id]} and {service}"
                    )
                owners[operation_id] = service
                for tag_name in operation.get("tags", []):
                    tags.setdefault(tag_name, {"name": tag_name})
                if service != GATEWAY.name:
                    _document_gateway_answers(operation)
                    declare_response_headers(operation)  # the gateway's answers carry them too
                    _state_gateway_scope(key, path, operation)
                    describe_problem_types(operation, {**catalogue, **_answered_by_gateway(documents)}, path)
                for response in operation.get("responses", {}).values():
                    response.pop(ONLY_PROBLEM_TYPES, None)  # said by the types listed
                declare_rate_limit_headers(operation)
                if path == WEBHOOK_PREFIX or path.startswith(WEBHOOK_PREFIX + "/"):
                    operation["security"] = []
                elif (key.upper(), path) in OPEN_TO_APPLICANTS:
                    operation["security"] = [{}, {"bearerAuth": []}]  # a key is optional
                target[key] = operation
    merged = {
        "openapi": "3.1.0",
        "info": {
            "title": "PRM API",
            "version": _version(documents),
            "description": _DESCRIPTION,
            # PRM is self-hosted: who answers for an API is whoever runs that deployment.
            "contact": {"name": "The operators of this PRM deployment"},
        },
        # Relative: the API is at the origin of the gateway that serves the document, whatever its host.
        "servers": [{"url": "/", "description": "The gateway that serves this document"}],
        "tags": list(tags.values()),
        "paths": dict(sorted(merged_paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "headers": copy.deepcopy(RESPONSE_HEADERS | RATE_LIMIT_HEADERS),
            "securitySchemes": copy.deepcopy(BEARER_SCHEME),
        },
        "security": [{"bearerAuth": []}],
        # Every problem type any service answers with, by slug; the gateway serves a page per type from it.
        "x-problem-types": dict(sorted(problem_types.items())),
    }
    # After the merge: one schema name has one definition, so it gets one example.
    compose_examples(merged)
    labels = {operation_id: _service_prefix(service) for operation_id, service in owners.items()}
    share_problem_responses(merged, labels)
    share_parameters(merged)
    return merged


def build_merged_openapi() -> dict[str, Any]:
    """The merged document built in-process from the gateway's app and each service's (none is started)."""
    secret = SecretStr("openapi-build-only-" + "0" * 32)
    documents = {service.name: _document_of(service, secret) for service in (GATEWAY, *BACKENDS)}
    return merge_documents(documents)


def _document_of(service: Service, secret: SecretStr) -> dict[str, Any]:
    # Imported here, not at the top: every app pulls in its whole service, which `prm`'s other commands
    # need not pay for.
    create_app = importlib.import_module(f"{service.package}.main").create_app
    document: dict[str, Any] = create_app(service.settings_class()(internal_secret=secret)).openapi()
    return document


def _schema_renames(documents: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Per service, the schema names that must change so that one name means one definition."""
    renames: dict[str, dict[str, str]] = {service: {} for service in documents}
    while True:
        variants: dict[str, dict[str, list[str]]] = {}  # final name -> definition -> services
        for service, document in documents.items():
            rename = renames[service]
            for name, schema in document.get("components", {}).get("schemas", {}).items():
                definition = json.dumps(_rewrite_refs(schema, rename), sort_keys=True)
                variants.setdefault(rename.get(name, name), {}).setdefault(definition, []).append(service)
        clashes = {name: found for name, found in variants.items() if len(found) > 1}
        if not clashes:
            return renames
        for name, found in clashes.items():
            for services in found.values():
                for service in services:
                    if name in renames[service].values():
                        raise MergeError(f"schema {name!r} of {service} clashes even after renaming")
                    renames[service][name] = _service_prefix(service) + name


def _renamed(name: str, schema: Any, rename: dict[str, str]) -> Any:
    """A renamed schema takes its new name as its title too: generators name models by title, so two
    `FxRateApplied` titles would be one model name twice."""
    if name in rename and isinstance(schema, dict) and schema.get("title") == name:
        return {**schema, "title": rename[name]}
    return schema


def _service_prefix(service: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", service) if part)


def _rewrite_refs(node: Any, rename: dict[str, str]) -> Any:
    if not rename:
        return node
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_REF) and ref[len(_SCHEMA_REF) :] in rename:
            node = {**node, "$ref": _SCHEMA_REF + rename[ref[len(_SCHEMA_REF) :]]}
        return {key: _rewrite_refs(value, rename) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(value, rename) for value in node]
    return node


def _document_gateway_answers(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in _GATEWAY_ANSWERS.items():
        responses.setdefault(status, {"description": description, "content": copy.deepcopy(_PROBLEM_CONTENT)})
    if "requestBody" in operation:
        responses.setdefault(
            "413", {"description": _BODY_TOO_LARGE, "content": copy.deepcopy(_PROBLEM_CONTENT)}
        )


# Statuses the gateway itself answers a routed request with (authentication, scopes, limits, upstream).
_GATEWAY_STATUSES = frozenset({"401", "403", "413", "429", *_GATEWAY_ANSWERS})


def _answered_by_gateway(documents: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    catalogue = documents.get(GATEWAY.name, {}).get("x-problem-types", {})
    return {slug: entry for slug, entry in catalogue.items() if str(entry["status"]) in _GATEWAY_STATUSES}


def _state_gateway_scope(method: str, path: str, operation: dict[str, Any]) -> None:
    """The scopes that let a key through both the gateway (by path prefix and method) and the service."""
    route = match(path)
    if route is None or route.public:
        operation.pop("x-required-scopes", None)
        return
    scopes = scopes_granting(route.scope_for(method.upper()), operation.get("x-required-scopes", []))
    state_required_scopes(operation, scopes)


def _version(documents: dict[str, dict[str, Any]]) -> str:
    own = documents.get(GATEWAY.name, {}).get("info", {}).get("version")
    return str(own) if own else "0.1.0"

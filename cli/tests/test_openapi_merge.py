"""The merged OpenAPI document: the pure merge, and the in-process build `prm openapi` writes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from prm_cli.openapi_merge import MergeError, merge_documents
from prm_kit.openapi import resolve

pytestmark = pytest.mark.backend_independent

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _operation(operation_id: str, *, schema: str | None = None, body: bool = False) -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}} if schema else {}
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [operation_id.split("_")[0]],
        "responses": {"200": {"description": "ok", "content": content}},
    }
    if body:
        operation["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
    return operation


def _document(
    paths: dict[str, Any], schemas: dict[str, Any] | None = None, tags: list[Any] | None = None
) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "0.1.0"},
        "paths": paths,
        "components": {"schemas": schemas or {}},
        "tags": tags or [],
    }


def test_paths_tags_and_identical_schemas_are_merged() -> None:
    money = {"type": "object", "properties": {"amount": {"type": "string", "examples": ["1234.50"]}}}
    note = {"type": "object", "properties": {"text": {"type": "string"}}}  # nothing to compose from
    documents = {
        "gateway": _document(
            {"/v1/status": {"get": _operation("status_get")}}, tags=[{"name": "status", "description": "d"}]
        ),
        "registry": _document(
            {"/v1/partners": {"get": _operation("partners_list", schema="Money")}},
            {"Money": money, "Note": note},
        ),
        "incentives": _document(
            {"/v1/payouts": {"post": _operation("payouts_create", schema="Money", body=True)}},
            {"Money": money},
        ),
    }

    merged = merge_documents(documents)

    assert merged["openapi"] == "3.1.0"
    assert list(merged["paths"]) == ["/v1/partners", "/v1/payouts", "/v1/status"]
    # One definition kept once, with the example composed from its properties'; none made up for Note.
    assert merged["components"]["schemas"] == {
        "Money": {**money, "examples": [{"amount": "1234.50"}]},
        "Note": note,
    }
    assert [tag["name"] for tag in merged["tags"]] == ["status", "partners", "payouts"]
    scheme = merged["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "API key" in scheme["description"]
    assert "PRM_JWT_ISSUER" in scheme["description"]
    assert merged["security"] == [{"bearerAuth": []}]
    shared = merged["paths"]["/v1/payouts"]["post"]["responses"]
    payouts = {status: resolve(merged, response) for status, response in shared.items()}
    # Each distinct problem answer is written once and referred to.
    assert shared["503"] == {"$ref": "#/components/responses/ServiceUnavailable"}
    assert sorted(payouts) == ["200", "413", "502", "503", "504"]  # the gateway's own answers, documented
    assert payouts["503"]["content"]["application/problem+json"]["schema"] == PROBLEM_REF
    # The gateway's answers carry its headers like every other answer.
    for status in ("413", "502", "503", "504"):
        assert payouts[status]["headers"]["X-Request-ID"] == {"$ref": "#/components/headers/X-Request-ID"}
    assert "Retry-After" in payouts["503"]["headers"]
    assert "Retry-After" not in payouts["502"]["headers"]
    assert sorted(merged["paths"]["/v1/status"]["get"]["responses"]) == ["200"]  # the gateway's are its own
    registry_responses = documents["registry"]["paths"]["/v1/partners"]["get"]["responses"]
    assert registry_responses.keys() == {"200"}  # the inputs are left as they were
    assert "examples" not in documents["registry"]["components"]["schemas"]["Money"]


def test_different_schemas_with_one_name_are_renamed_per_service_with_their_refs() -> None:
    registry_summary = {"title": "Summary", "type": "object", "properties": {"partners": {"type": "integer"}}}
    scoring_summary = {"title": "Summary", "type": "object", "properties": {"score": {"type": "number"}}}
    page = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Summary"}}},
    }
    documents = {
        "registry": _document(
            {"/v1/partners": {"get": _operation("partners_list", schema="Page")}},
            {"Summary": registry_summary, "Page": copy.deepcopy(page)},
        ),
        "scoring": _document(
            {"/v1/scores": {"get": _operation("scores_list", schema="Summary")}},
            {"Summary": scoring_summary, "Page": copy.deepcopy(page)},
        ),
    }

    merged = merge_documents(documents)

    schemas = merged["components"]["schemas"]
    # Page is textually identical in both, but refers to a different Summary in each: renamed too.
    assert sorted(schemas) == ["RegistryPage", "RegistrySummary", "ScoringPage", "ScoringSummary"]
    # Generators name models by title: each renamed one is titled by its new name.
    assert (schemas["RegistrySummary"]["title"], schemas["ScoringSummary"]["title"]) == (
        "RegistrySummary",
        "ScoringSummary",
    )
    assert schemas["RegistryPage"]["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/RegistrySummary"
    }
    assert schemas["ScoringPage"]["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/ScoringSummary"
    }
    partners = merged["paths"]["/v1/partners"]["get"]["responses"]["200"]["content"]["application/json"]
    scores = merged["paths"]["/v1/scores"]["get"]["responses"]["200"]["content"]["application/json"]
    assert partners["schema"] == {"$ref": "#/components/schemas/RegistryPage"}
    assert scores["schema"] == {"$ref": "#/components/schemas/ScoringSummary"}


def test_a_duplicate_operation_id_fails_loudly() -> None:
    documents = {
        "registry": _document({"/v1/partners": {"get": _operation("list_things")}}),
        "scoring": _document({"/v1/scores": {"get": _operation("list_things")}}),
    }

    with pytest.raises(MergeError, match="operationId 'list_things' is used by both registry and scoring"):
        merge_documents(documents)


def test_one_path_and_method_from_two_services_fails_loudly() -> None:
    documents = {
        "registry": _document({"/v1/partners": {"get": _operation("a_list")}}),
        "scoring": _document({"/v1/partners": {"get": _operation("b_list")}}),
    }

    with pytest.raises(MergeError, match="GET /v1/partners"):
        merge_documents(documents)


def test_webhook_operations_are_public() -> None:
    documents = {
        "analytics": _document(
            {
                "/v1/webhooks/sales": {"post": _operation("webhooks_receive", body=True)},
                "/v1/sales": {"get": _operation("sales_list")},
            }
        )
    }

    merged = merge_documents(documents)

    assert merged["paths"]["/v1/webhooks/sales"]["post"]["security"] == []
    assert "security" not in merged["paths"]["/v1/sales"]["get"]


def test_the_built_document_is_one_consistent_api(merged_openapi: Callable[[], dict[str, Any]]) -> None:
    document = merged_openapi()

    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    operation_ids = [operation["operationId"] for _path, _method, operation in operations]
    assert len(operation_ids) == len(set(operation_ids))
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerAuth": []}]
    assert {"Problem", "ValidationIssue", "ApiKeyIn", "ApiKeyOut", "ApiKeyCreated"} <= set(
        document["components"]["schemas"]
    )
    for path, method, operation in operations:
        assert operation.get("tags"), f"{method} {path} has no tag"
        for status, shared in operation["responses"].items():
            response = resolve(document, shared)
            if status.startswith(("4", "5")):
                assert "$ref" in shared, (path, status)  # written once, in components/responses
                assert list(response["content"]) == ["application/problem+json"], (path, status)
                problem = response["content"]["application/problem+json"]
                assert problem["schema"] == PROBLEM_REF, (path, status)
                assert problem["example"]["status"] == int(status), (path, status)
        if path.startswith("/v1/webhooks/"):
            assert operation["security"] == []
    # the public application form: a key is optional there and nowhere else outside the webhooks
    assert document["paths"]["/v1/applications"]["post"]["security"] == [{}, {"bearerAuth": []}]
    optional = [(m, p) for p, m, op in operations if op.get("security") == [{}, {"bearerAuth": []}]]
    assert optional == [("post", "/v1/applications")]
    admin = {op["operationId"] for path, _m, op in operations if path.startswith("/v1/admin/api-keys")}
    assert admin == {"create_api_key", "list_api_keys", "get_api_key", "revoke_api_key"}
    assert {op["tags"][0] for path, _m, op in operations if path.startswith("/v1/admin/")} == {"api-keys"}
    assert document["paths"]["/v1/status"]["get"]["operationId"] == "get_status"


def test_every_ref_in_the_built_document_resolves(merged_openapi: Callable[[], dict[str, Any]]) -> None:
    document = merged_openapi()
    schemas = document["components"]["schemas"]
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert {ref.split("/")[2] for ref in refs} == {"schemas", "headers", "responses", "parameters"}
    for ref in refs:
        assert ref.startswith("#/components/"), ref
        kind, name = ref.removeprefix("#/components/").split("/")
        assert name in document["components"][kind], ref
    assert {ref.removeprefix("#/components/schemas/") for ref in refs if "/schemas/" in ref} <= set(schemas)

"""The merged document tells the truth about what the code does, for every service, enumerated from the code
and the document (a new operation, schema or error type is covered without being named here)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from prm_cli.openapi_merge import build_merged_openapi
from prm_contracts.problem import AppError, problem_type
from prm_kit.openapi import operations
from pydantic import BaseModel, ValidationError

pytestmark = pytest.mark.backend_independent


@cache
def _document() -> dict[str, Any]:
    return build_merged_openapi()  # imports every service, so all their error classes exist afterwards


def _subclasses(cls: type[Any]) -> list[type[Any]]:
    found, pending = [], list(cls.__subclasses__())
    while pending:
        sub = pending.pop()
        found.append(sub)
        pending.extend(sub.__subclasses__())
    return found


def test_every_error_class_of_every_service_is_a_documented_problem_type() -> None:
    catalogue = _document()["x-problem-types"]

    for cls in [AppError, *_subclasses(AppError)]:
        if cls.__module__.split(".")[0] in {"tests", "conftest"} or ".tests." in cls.__module__:
            continue
        entry = catalogue.get(cls.slug)
        assert entry is not None, f"{cls.__module__}.{cls.__name__} ({cls.slug}) is not in x-problem-types"
        assert entry["status"] == cls.status
        assert entry["type"] == problem_type(cls.slug)
        for name in cls.members:
            assert name in entry["members"], (cls.slug, name)


def test_extension_members_passed_at_raise_sites_are_documented() -> None:
    members = _document()["x-problem-types"]["precondition-failed"]["members"]
    assert "current_etag" in members  # declared on PreconditionFailed and passed by prm_kit.etag


def test_an_operation_answering_428_requires_if_match() -> None:
    checked = 0
    for path, method, operation in operations(_document()):
        if "428" not in operation["responses"]:
            continue
        if_match = [p for p in operation.get("parameters", []) if p["name"] == "If-Match"]
        assert if_match, f"{method.upper()} {path}"
        assert if_match[0]["required"] is True, f"{method.upper()} {path}"
        assert if_match[0]["schema"]["type"] == "string"
        checked += 1
    assert checked >= 11  # the 11 PATCH operations of issue 9 at least


def test_no_parameter_schema_admits_null() -> None:
    for path, method, operation in operations(_document()):
        for parameter in operation.get("parameters", []):
            assert {"type": "null"} not in parameter["schema"].get("anyOf", []), (method, path, parameter)


def _models_by_name() -> dict[str, type[BaseModel]]:
    return {cls.__name__: cls for cls in _subclasses(BaseModel)}


def _nullable(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or {"type": "null"} in schema.get("anyOf", [])


def test_a_patch_field_is_nullable_in_the_schema_exactly_when_null_is_accepted() -> None:
    schemas = _document()["components"]["schemas"]
    models = _models_by_name()
    patches = [name for name in schemas if name.endswith("Patch")]
    assert len(patches) >= 10
    for name in patches:
        model = models[name]
        for field, schema in schemas[name].get("properties", {}).items():
            try:
                model.model_validate({field: None})
                accepted = True
            except ValidationError as error:
                accepted = not any(e["loc"][:1] == (field,) for e in error.errors())
            assert _nullable(schema) == accepted, f"{name}.{field}: schema nullable={_nullable(schema)}"
            assert schema.get("default", "absent") in ("absent", None) or not _nullable(schema)
            if not accepted:
                assert "default" not in schema, f"{name}.{field} documents a null default it refuses"


def test_enums_name_their_members_as_the_code_does() -> None:
    sort = _document()["components"]["schemas"]["PartnerSort"]
    assert (
        dict(zip(sort["enum"], sort["x-enum-varnames"], strict=True))["-display_name"] == "DISPLAY_NAME_DESC"
    )


def test_answers_declare_their_headers_and_creates_link_to_their_get() -> None:
    document = _document()
    get_ids = {op["operationId"] for _, method, op in operations(document) if method == "get"}
    creates = 0
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            assert "X-Request-ID" in headers, (method, path, status)
            if status in {"429", "503"}:
                assert "Retry-After" in headers, (method, path, status)
        created = operation["responses"].get("201")
        if created is None:
            continue
        assert "Location" in created["headers"], path
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
            assert "Idempotent-Replayed" in created["headers"], path
        for link in created.get("links", {}).values():
            assert link["operationId"] in get_ids
            creates += 1
    assert creates >= 10
    assert "X-Request-ID" in document["components"]["headers"]


def test_every_routed_operation_states_its_scopes() -> None:
    for path, method, operation in operations(_document()):
        if not path.startswith("/v1/") or path.startswith(
            ("/v1/webhooks", "/v1/api-keys", "/v1/admin/", "/v1/status")
        ):
            continue
        scopes = operation.get("x-required-scopes")
        assert scopes, f"{method.upper()} {path} states no scope"
        assert "Needs the scope" in operation["description"]


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    import jsonschema_rs  # schemathesis' own validator, installed with it

    return jsonschema_rs.validator_for({**schema, "components": document["components"]})


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) of every example in the document: schemas', properties' and media types'."""
    for name, schema in document["components"]["schemas"].items():
        for example in schema.get("examples", []):
            yield f"schema {name}", {"$ref": f"#/components/schemas/{name}"}, example
        for prop, sub in schema.get("properties", {}).items():
            for example in sub.get("examples", []):
                yield f"schema {name}.{prop}", sub, example
    for path, method, operation in operations(document):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(status, response) for status, response in operation["responses"].items()]
        for where, body in bodies:
            for media, content in body.get("content", {}).items():
                found = [content["example"]] if "example" in content else []
                found += [named["value"] for named in content.get("examples", {}).values()]
                for example in found:
                    yield f"{method.upper()} {path} {where} {media}", content["schema"], example


def test_every_example_is_valid_against_its_schema() -> None:
    document = _document()
    checked = 0
    for where, schema, example in _examples(document):
        errors = [str(error) for error in _validator(document, schema).iter_errors(example)]
        assert not errors, f"{where}: {errors[0]}"
        checked += 1
    assert checked > 500  # every schema and body of ~100 operations: a collapse to few would be a regression


def test_every_request_body_and_success_answer_has_an_example() -> None:
    missing = []
    for path, method, operation in operations(_document()):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(s, r) for s, r in operation["responses"].items() if s.startswith("2")]
        for where, body in bodies:
            content = body.get("content", {}).get("application/json")
            if content is None or "example" in content or "examples" in content:
                continue
            ref = content["schema"].get("$ref", "").rsplit("/", 1)[-1]
            # A free-text property without `Field(examples=...)` stops its schema's example: give it one.
            missing.append(f"{method.upper()} {path} {where} ({ref or 'inline'})")
    assert not missing, missing


def test_every_problem_answer_has_an_example_of_a_type_it_lists() -> None:
    for path, method, operation in operations(_document()):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")) or "x-problem-types" not in response:
                continue
            example = response["content"]["application/problem+json"]["example"]
            assert example["type"] in response["x-problem-types"], (method, path, status)
            assert example["status"] == int(status), (method, path, status)


def test_every_operation_says_what_it_does_beyond_its_scope() -> None:
    for path, method, operation in operations(_document()):
        said = operation.get("description", "").split("\n\nNeeds the scope")[0].strip()
        assert said.endswith((".", ")", "`")), f"{method.upper()} {path}: {said!r}"
        assert len(said.split()) >= 3, f"{method.upper()} {path}: {said!r}"


def test_the_document_names_its_server_and_contact() -> None:
    document = _document()
    assert document["servers"] == [{"url": "/", "description": "The gateway that serves this document"}]
    assert document["info"]["contact"]["name"]


def test_every_tag_says_what_it_groups() -> None:
    document = _document()
    used = {tag for _, _, operation in operations(document) for tag in operation["tags"]}
    described = {tag["name"] for tag in document["tags"] if tag.get("description", "").strip()}
    assert used <= described, (
        f"tags without a description (a service's OPENAPI_TAGS): {sorted(used - described)}"
    )


def test_a_discriminated_union_requires_its_tag_in_every_member() -> None:
    """pydantic refuses a union member without its tag (`union_tag_not_found`) even when the member's model
    gives the tag a default; the schema says so, or the `oneOf` branches overlap."""
    schemas = _document()["components"]["schemas"]
    checked = 0

    def walk(node: Any) -> None:
        nonlocal checked
        if isinstance(node, dict):
            discriminator = node.get("discriminator")
            if isinstance(discriminator, dict):
                for ref in discriminator.get("mapping", {}).values():
                    member = schemas[ref.rsplit("/", 1)[-1]]
                    assert discriminator["propertyName"] in member.get("required", []), ref
                    checked += 1
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schemas)
    assert checked >= 10  # the gates and normalisers of scoring, the rules of incentives at least


def test_a_shared_domain_error_is_listed_only_by_the_service_that_raises_it() -> None:
    """`prm_contracts.sales.WebhookIdReused` is raised by analytics alone: the registry's answers do not list
    it, whichever service the process imported first (the document must not depend on that)."""
    paths = _document()["paths"]
    webhook = paths["/v1/webhooks/partners/{partner_id}/sales"]["post"]["responses"]["422"]["x-problem-types"]
    partners = paths["/v1/partners"]["post"]["responses"]["422"]["x-problem-types"]
    assert problem_type("webhook-id-reused") in webhook
    assert problem_type("webhook-id-reused") not in partners
    assert problem_type("validation-error") in partners

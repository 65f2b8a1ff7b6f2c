"""The merged document tells the truth about what the code does, for every service, enumerated from the code
and the document (a new operation, schema or error type is covered without being named here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gateway.cors import EXPOSE_HEADERS
from prm_contracts.problem import AppError, problem_type
from prm_kit.openapi import operations, resolve
from pydantic import BaseModel, ValidationError

pytestmark = pytest.mark.backend_independent


@pytest.fixture(scope="module")
def document(merged_openapi: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Read only. Building it imports every service, so all their error classes exist afterwards."""
    return merged_openapi()


def _parameters(document: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    """The operation's parameters, a shared one (`$ref`) resolved."""
    return [resolve(document, parameter) for parameter in operation.get("parameters", [])]


def _responses(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The operation's answers by status, a shared one (`$ref`) resolved."""
    return {status: resolve(document, r) for status, r in operation["responses"].items()}


def _schema(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref", "")
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else node


def _subclasses(cls: type[Any]) -> list[type[Any]]:
    found, pending = [], list(cls.__subclasses__())
    while pending:
        sub = pending.pop()
        found.append(sub)
        pending.extend(sub.__subclasses__())
    return found


def test_every_error_class_of_every_service_is_a_documented_problem_type(document: dict[str, Any]) -> None:
    catalogue = document["x-problem-types"]

    for cls in [AppError, *_subclasses(AppError)]:
        if cls.__module__.split(".")[0] in {"tests", "conftest"} or ".tests." in cls.__module__:
            continue
        entry = catalogue.get(cls.slug)
        assert entry is not None, f"{cls.__module__}.{cls.__name__} ({cls.slug}) is not in x-problem-types"
        assert entry["status"] == cls.status
        assert entry["type"] == problem_type(cls.slug)
        for name in cls.members:
            assert name in entry["members"], (cls.slug, name)


def test_extension_members_passed_at_raise_sites_are_documented(document: dict[str, Any]) -> None:
    members = document["x-problem-types"]["precondition-failed"]["members"]
    assert "current_etag" in members  # declared on PreconditionFailed and passed by prm_kit.etag


def test_an_operation_answering_428_requires_if_match(document: dict[str, Any]) -> None:
    """Except a PUT that also creates (201): there If-Match is needed only once the resource exists."""
    checked = creating = 0
    for path, method, operation in operations(document):
        if "428" not in operation["responses"]:
            continue
        if_match = [p for p in _parameters(document, operation) if p["name"] == "If-Match"]
        assert if_match, f"{method.upper()} {path}"
        creates = method == "put" and "201" in operation["responses"]
        assert if_match[0]["required"] is not creates, f"{method.upper()} {path}"
        assert if_match[0]["schema"]["type"] == "string"
        assert "pattern" in if_match[0]["schema"], f"{method.upper()} {path}"
        checked += 1
        creating += creates
    assert checked >= 11  # the 11 PATCH operations of issue 9 at least
    assert creating >= 2  # targets and acquisition spend


def test_no_parameter_schema_admits_null(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for parameter in _parameters(document, operation):
            assert {"type": "null"} not in parameter["schema"].get("anyOf", []), (method, path, parameter)


def _models_by_name() -> dict[str, type[BaseModel]]:
    return {cls.__name__: cls for cls in _subclasses(BaseModel)}


def _nullable(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or {"type": "null"} in schema.get("anyOf", [])


def test_a_patch_field_is_nullable_in_the_schema_exactly_when_null_is_accepted(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
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


def test_enums_name_their_members_as_the_code_does(document: dict[str, Any]) -> None:
    sort = document["components"]["schemas"]["PartnerSort"]
    assert (
        dict(zip(sort["enum"], sort["x-enum-varnames"], strict=True))["-display_name"] == "DISPLAY_NAME_DESC"
    )


def test_answers_declare_their_headers_and_creates_link_to_their_get(document: dict[str, Any]) -> None:
    get_ids = {op["operationId"] for _, method, op in operations(document) if method == "get"}
    creates = 0
    for path, method, operation in operations(document):
        for status, response in _responses(document, operation).items():
            headers = response.get("headers", {})
            assert "X-Request-ID" in headers, (method, path, status)
            if status in {"429", "503"}:
                assert "Retry-After" in headers, (method, path, status)
        created = operation["responses"].get("201")
        if created is None:
            continue
        assert "Location" in created["headers"], path
        if any(p["name"] == "Idempotency-Key" for p in _parameters(document, operation)):
            assert "Idempotent-Replayed" in created["headers"], path
        body = _schema(document, created["content"]["application/json"]["schema"])
        for link in created.get("links", {}).values():
            assert link["operationId"] in get_ids
            target = next(op for _, m, op in operations(document) if op["operationId"] == link["operationId"])
            wanted = {p["name"]: p["schema"] for p in _parameters(document, target) if p["in"] == "path"}
            for name, source in link["parameters"].items():
                if source.startswith("$response.body#/"):
                    # the body's field is what the GET's path takes: a uuid for an id, a number for a number
                    field = body["properties"][source.removeprefix("$response.body#/")]
                    assert (field.get("type"), field.get("format")) == (
                        wanted[name].get("type"),
                        wanted[name].get("format"),
                    ), (path, name, source)
                    assert name == "number" or field.get("format") == "uuid", (path, name, source)
            creates += 1
    assert creates >= 10
    assert "X-Request-ID" in document["components"]["headers"]


def test_every_success_answer_but_204_has_a_body_and_a_replay_says_so(document: dict[str, Any]) -> None:
    # a recomputed calculation run (200) was documented without its body: generated clients dropped it
    checked = 0
    for path, method, operation in operations(document):
        idempotent = any(p["name"] == "Idempotency-Key" for p in _parameters(document, operation))
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                continue
            if status != "204":
                assert response.get("content"), (method, path, status)
            if idempotent:
                assert "Idempotent-Replayed" in response["headers"], (method, path, status)
            checked += 1
    assert checked >= 100


def test_an_operation_that_takes_no_key_lists_no_key_or_scope_problem(document: dict[str, Any]) -> None:
    """The signed webhook takes no API key: no 403, and its 401 is about the signature alone."""
    public = [
        (path, operation) for path, _, operation in operations(document) if operation.get("security") == []
    ]
    assert public
    for path, operation in public:
        responses = _responses(document, operation)
        assert "403" not in responses, path
        assert responses["401"]["x-problem-types"] == [problem_type("webhook-signature-invalid")], path
    webhook = _responses(document, document["paths"]["/v1/webhooks/partners/{partner_id}/sales"]["post"])
    assert webhook["422"]["x-problem-types"] == [
        problem_type(slug) for slug in ("sales-lines-rejected", "validation-error", "webhook-id-reused")
    ]
    assert "Webhook-Replayed" in webhook["200"]["headers"]


def test_every_routed_operation_states_its_scopes(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        if not path.startswith("/v1/") or path.startswith(
            ("/v1/webhooks", "/v1/api-keys", "/v1/admin/", "/v1/status")
        ):
            continue
        scopes = operation.get("x-required-scopes")
        assert scopes, f"{method.upper()} {path} states no scope"
        assert "Needs the scope" in operation["description"]


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) of every example in the document: schemas', properties' and media types'
    (a shared answer's once, in `components/responses`)."""
    for name, schema in document["components"]["schemas"].items():
        for example in schema.get("examples", []):
            yield f"schema {name}", {"$ref": f"#/components/schemas/{name}"}, example
        for prop, sub in schema.get("properties", {}).items():
            for example in sub.get("examples", []):
                yield f"schema {name}.{prop}", sub, example
    bodies = [
        (f"response {name}", body) for name, body in document["components"].get("responses", {}).items()
    ]
    for path, method, operation in operations(document):
        bodies += [(f"{method.upper()} {path} request", operation.get("requestBody", {}))]
        bodies += [
            (f"{method.upper()} {path} {s}", r) for s, r in operation["responses"].items() if "$ref" not in r
        ]
    for where, body in bodies:
        for media, content in body.get("content", {}).items():
            found = [content["example"]] if "example" in content else []
            found += [named["value"] for named in content.get("examples", {}).values()]
            for example in found:
                yield f"{where} {media}", content["schema"], example


def _invalid_examples(document: dict[str, Any], cases: list[tuple[str, dict[str, Any], Any]]) -> list[str]:
    """Where and why each example of `cases` is invalid. One validator checks them all: case i's schema is
    property `i` of one object schema beside the components (so that their `$ref`s resolve) and the instance
    holds example i at `i`; the components are compiled once, not once per example, and each error's path
    names its case."""
    import jsonschema_rs  # schemathesis' own validator, installed with it

    validator = jsonschema_rs.validator_for(
        {
            "type": "object",
            "properties": {str(i): schema for i, (_where, schema, _example) in enumerate(cases)},
            "components": document["components"],
        }
    )
    instance = {str(i): example for i, (_where, _schema, example) in enumerate(cases)}
    return [f"{cases[int(e.instance_path[0])][0]}: {e}" for e in validator.iter_errors(instance)]


def test_every_example_is_valid_against_its_schema(document: dict[str, Any]) -> None:
    cases = list(_examples(document))
    invalid = _invalid_examples(document, cases)
    assert not invalid, invalid[:3]
    assert (
        len(cases) > 500
    )  # every schema and body of ~100 operations: a collapse to few would be a regression


def test_one_invalid_example_among_all_is_found_and_named(document: dict[str, Any]) -> None:
    cases = list(_examples(document))
    bad = ("bad PartnerSort", {"$ref": "#/components/schemas/PartnerSort"}, "not-a-sort")
    invalid = _invalid_examples(document, [*cases[:10], bad, *cases[10:]])
    assert len(invalid) == 1
    assert invalid[0].startswith("bad PartnerSort: ")


def test_every_request_body_and_success_answer_has_an_example(document: dict[str, Any]) -> None:
    missing = []
    for path, method, operation in operations(document):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(s, r) for s, r in operation["responses"].items() if s.startswith("2")]
        for where, body in bodies:
            content = body.get("content", {}).get("application/json")
            if content is None or "example" in content or "examples" in content:
                continue
            ref = content["schema"].get("$ref", "").rsplit("/", 1)[-1]
            if document["components"]["schemas"].get(ref, {}).get("examples"):
                continue  # the named schema's own example is the body's (viewers show it)
            # A free-text property without `Field(examples=...)` stops its schema's example: give it one.
            missing.append(f"{method.upper()} {path} {where} ({ref or 'inline'})")
    assert not missing, missing


def test_every_problem_answer_has_an_example_of_a_type_it_lists(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for status, response in _responses(document, operation).items():
            if not status.startswith(("4", "5")) or "x-problem-types" not in response:
                continue
            example = response["content"]["application/problem+json"]["example"]
            assert example["type"] in response["x-problem-types"], (method, path, status)
            assert example["status"] == int(status), (method, path, status)


def test_every_operation_says_what_it_does_beyond_its_scope(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        said = operation.get("description", "").split("\n\nNeeds the scope")[0].strip()
        assert said.endswith((".", ")", "`")), f"{method.upper()} {path}: {said!r}"
        assert len(said.split()) >= 3, f"{method.upper()} {path}: {said!r}"


def test_the_document_names_its_server_and_contact(document: dict[str, Any]) -> None:
    assert document["servers"] == [{"url": "/", "description": "The gateway that serves this document"}]
    assert document["info"]["contact"]["name"]


def test_every_tag_says_what_it_groups(document: dict[str, Any]) -> None:
    used = {tag for _, _, operation in operations(document) for tag in operation["tags"]}
    described = {tag["name"] for tag in document["tags"] if tag.get("description", "").strip()}
    assert used <= described, (
        f"tags without a description (a service's OPENAPI_TAGS): {sorted(used - described)}"
    )


def test_a_discriminated_union_requires_its_tag_in_every_member(document: dict[str, Any]) -> None:
    """pydantic refuses a union member without its tag (`union_tag_not_found`) even when the member's model
    gives the tag a default; the schema says so, or the `oneOf` branches overlap."""
    schemas = document["components"]["schemas"]
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


def test_a_shared_domain_error_is_listed_only_by_the_service_that_raises_it(document: dict[str, Any]) -> None:
    """`prm_contracts.sales.WebhookIdReused` is raised by analytics alone: the registry's answers do not list
    it, whichever service the process imported first (the document must not depend on that)."""
    paths = document["paths"]
    webhook = _responses(document, paths["/v1/webhooks/partners/{partner_id}/sales"]["post"])["422"]
    partners = _responses(document, paths["/v1/partners"]["post"])["422"]["x-problem-types"]
    webhook = webhook["x-problem-types"]
    assert problem_type("webhook-id-reused") in webhook
    assert problem_type("webhook-id-reused") not in partners
    assert problem_type("validation-error") in partners


# PostgreSQL's `integer` (and SQLite's driver, which refuses anything past 64 bits): a client's integer past it
# would be a 500 where it is stored or compared, so every integer a request can carry is bounded inside it.
_DATABASE_INTEGER = (-(2**31), 2**31 - 1)


def _request_schemas(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, schema) of every schema a request can carry — bodies and parameters, the components they name
    followed once each — with the place it was reached from."""
    components = document["components"]["schemas"]
    seen: set[str] = set()
    pending: list[tuple[str, Any]] = []
    for path, method, operation in operations(document):
        for parameter in _parameters(document, operation):
            pending.append((f"{method.upper()} {path} {parameter['name']}", parameter["schema"]))
        for media in operation.get("requestBody", {}).get("content", {}).values():
            pending.append((f"{method.upper()} {path} body", media.get("schema", {})))
    while pending:
        where, node = pending.pop()
        if isinstance(node, list):
            pending.extend((where, item) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                pending.append((name, components[name]))
            continue
        if node.get("type") in {"integer", "number", "array", "object", "string"}:
            yield where, node
        for key, value in node.items():
            if key in {"properties", "patternProperties"}:
                pending.extend((f"{where}.{name}", schema) for name, schema in value.items())
            elif key in {"items", "anyOf", "oneOf", "allOf", "additionalProperties"}:
                pending.append((where, value))


def test_every_integer_a_request_carries_is_bounded_inside_the_database_integer(
    document: dict[str, Any],
) -> None:
    low, high = _DATABASE_INTEGER
    checked = 0
    unbounded = []
    for where, schema in _request_schemas(document):
        if schema.get("type") != "integer":
            continue
        checked += 1
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        if minimum is None or maximum is None or minimum < low or maximum > high:
            unbounded.append(f"{where}: minimum {minimum}, maximum {maximum}")
    assert not unbounded, "\n".join(unbounded)
    assert checked >= 30


def test_no_request_carries_a_json_number_other_than_an_integer(document: dict[str, Any]) -> None:
    """Amounts, rates and scores travel as decimal strings: a float would lose digits on the way."""
    floats = [where for where, schema in _request_schemas(document) if schema.get("type") == "number"]
    assert not floats, floats


# Fetch's CORS-safelisted answer headers: a browser lets a front end read these without their being exposed.
_SAFELISTED = {
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
}


def test_every_answer_header_the_document_declares_is_exposed_to_browser_front_ends(
    document: dict[str, Any],
) -> None:
    exposed = {name.lower() for name in EXPOSE_HEADERS} | _SAFELISTED
    declared: set[str] = set()
    for _, _, operation in operations(document):
        for response in _responses(document, operation).values():
            declared |= set(response.get("headers", {}))
    assert {"X-Request-ID", "ETag", "Idempotent-Replayed", "Content-Disposition"} <= declared
    assert {name for name in declared if name.lower() not in exposed} == set()

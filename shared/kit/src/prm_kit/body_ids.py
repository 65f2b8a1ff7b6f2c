"""Test helpers for the rule that a request body is no existence oracle (issue 13): an id a partner's own
credential names in a body that is not its own, nor one it can see, gets exactly the answer a made-up id gets,
and nothing is stored.

Each service's `tests/test_body_id_authorization.py` finds its operations with `id_bearing_operations` (walking
its app's OpenAPI document, so one added tomorrow fails there until it is arranged), arranges a `Probe` per
operation and runs `assert_no_existence_oracle` on it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

WRITE_METHODS = ("post", "put", "patch", "delete")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_MAX_DEPTH = 4  # enough for `list[X | None]`; schemas are not recursive in ids deeper than that


# --- walking the document ----------------------------------------------------------------------------------


def _resolved(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [*schema.get("anyOf", []), *schema.get("oneOf", []), *schema.get("allOf", [])]


def _holds_uuid(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> bool:
    schema = _resolved(schema, components)
    if schema.get("format") == "uuid":
        return True
    if depth > _MAX_DEPTH:
        return False
    branches = _branches(schema)
    if "items" in schema:
        branches.append(schema["items"])
    return any(_holds_uuid(branch, components, depth + 1) for branch in branches)


def _id_fields(schema: dict[str, Any], components: dict[str, Any], prefix: str = "") -> set[str]:
    """Dotted paths of the properties holding ids, e.g. `parties`, `resolution.awarded_to`."""
    schema = _resolved(schema, components)
    found: set[str] = set()
    for branch in _branches(schema):
        found |= _id_fields(branch, components, prefix)
    if "items" in schema:
        found |= _id_fields(schema["items"], components, prefix)
    for name, prop in schema.get("properties", {}).items():
        dotted = f"{prefix}{name}"
        if name.endswith(("_id", "_ids")) or _holds_uuid(prop, components):
            found.add(dotted)
        found |= _id_fields(prop, components, f"{dotted}.")
    return found


def id_bearing_operations(document: Mapping[str, Any]) -> dict[str, set[str]]:
    """operationId → the id-holding body fields of every write operation with a JSON body: a property holding
    a UUID (`format: uuid`, also inside lists and unions) or named `*_id`/`*_ids`."""
    components = document.get("components", {}).get("schemas", {})
    operations: dict[str, set[str]] = {}
    for item in document["paths"].values():
        for method in WRITE_METHODS:
            operation = item.get(method)
            if operation is None or "requestBody" not in operation:
                continue
            fields: set[str] = set()
            for content_type, content in operation["requestBody"]["content"].items():
                if content_type == "application/json" or content_type.endswith("+json"):
                    fields |= _id_fields(content.get("schema", {}), components)
            if fields:
                operations[operation["operationId"]] = fields
    return operations


# --- comparing answers -------------------------------------------------------------------------------------


def answer_seen_by_caller(response: httpx.Response) -> tuple[int, str, str]:
    """What a caller could tell apart: status, content type and the body (a problem's `instance` aside, which
    names the request), with every id masked."""
    body = response.json()
    if isinstance(body, dict):
        body = {key: value for key, value in body.items() if key != "instance"}
    masked = _UUID.sub("<id>", json.dumps(body, sort_keys=True))
    return response.status_code, response.headers["content-type"], masked


@dataclass(frozen=True)
class Probe:
    """One operation, ready to send: `body(field, id)` is a valid body naming `id` in `field`.

    `foreign` holds, per field, ids that exist but are not the credential's to name (in an operation a
    partner's credential may not call at all, any existing id); `visible`, per field, one it may name, and
    `visible_status` what naming it answers (a 2xx only where a partner may do the operation). A made-up id
    answers `made_up_status`, or any 4xx/5xx when None.
    """

    method: str
    path: str
    body: Callable[[str, str], dict[str, Any]]
    foreign: dict[str, list[str]]
    visible: dict[str, str]
    visible_status: int
    headers: dict[str, str] = field(default_factory=dict)
    made_up_status: int | None = None


async def assert_no_existence_oracle(
    client: httpx.AsyncClient,
    probe: Probe,
    *,
    fields: set[str],
    headers: Mapping[str, str],
    stored: Callable[[], Awaitable[object]],
) -> None:
    """Each foreign id of each field is answered exactly like a made-up one and stores nothing (`stored()`
    is compared before and after); then the visible ids show the bodies were otherwise valid."""
    assert set(probe.foreign) == set(probe.visible) == fields, (
        f"arrange every id-holding field: {sorted(fields)}"
    )
    sent = {**headers, **probe.headers}

    for name in sorted(fields):
        for foreign in probe.foreign[name]:
            before = await stored()
            made_up = await client.request(
                probe.method, probe.path, json=probe.body(name, str(uuid.uuid4())), headers=sent
            )
            named = await client.request(
                probe.method, probe.path, json=probe.body(name, foreign), headers=sent
            )

            if probe.made_up_status is None:
                assert made_up.status_code >= 400, f"{name}: a made-up id is accepted: {made_up.text}"
            else:
                assert made_up.status_code == probe.made_up_status, f"{name}: {made_up.text}"
            assert answer_seen_by_caller(named) == answer_seen_by_caller(made_up), (
                f"{name}: {foreign} is told apart from a made-up id: {named.text} vs {made_up.text}"
            )
            assert await stored() == before, f"{name}: {foreign} stored something"

    # the same bodies with ids the credential may name: what tells the answers above from a malformed body
    for name in sorted(fields):
        own = await client.request(
            probe.method, probe.path, json=probe.body(name, probe.visible[name]), headers=sent
        )
        assert own.status_code == probe.visible_status, f"{name}: {own.text}"

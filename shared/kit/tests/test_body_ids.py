"""The no-existence-oracle check of request bodies: the document walk, the comparison of two answers, and that
the check fails for a service whose answer tells a foreign id from a made-up one."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from prm_kit.body_ids import Probe, answer_seen_by_caller, assert_no_existence_oracle, id_bearing_operations

pytestmark = pytest.mark.backend_independent


def test_the_walk_finds_ids_in_lists_unions_and_nested_objects() -> None:
    document = {
        "paths": {
            "/x": {
                "post": {
                    "operationId": "x",
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/X"}}}
                    },
                },
                "patch": {  # a CSV upload holds no JSON fields
                    "operationId": "csv",
                    "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}},
                },
                "get": {  # not a write, whatever it takes
                    "operationId": "read",
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/X"}}}
                    },
                },
            },
            "/y": {
                "put": {
                    "operationId": "no_ids",
                    "requestBody": {
                        "content": {"application/merge-patch+json": {"schema": {"properties": {"n": {}}}}}
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "X": {
                    "properties": {
                        "parties": {
                            "type": "array",
                            "items": {"anyOf": [{"type": "string", "format": "uuid"}, {"const": "v"}]},
                        },
                        "owner_ref": {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]},
                        "legacy_id": {"type": "integer"},
                        "name": {"type": "string"},
                        "resolution": {"properties": {"awarded_to": {"type": "string", "format": "uuid"}}},
                        "lines": {"items": {"$ref": "#/components/schemas/Line"}},
                    }
                },
                "Line": {"properties": {"survey_ids": {"type": "array"}, "note": {"type": "string"}}},
            }
        },
    }

    assert id_bearing_operations(document) == {
        "x": {"parties", "owner_ref", "legacy_id", "resolution.awarded_to", "lines.survey_ids"}
    }


def _response(status: int, body: Any, content_type: str = "application/problem+json") -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body), headers={"content-type": content_type})


def test_answers_differing_only_in_ids_and_instance_are_the_same() -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())

    def not_found(named: str, instance: str) -> httpx.Response:
        body = {"type": "/problems/not-found", "status": 404, "detail": f"no allocation {named}"}
        return _response(404, body | {"instance": instance})

    assert answer_seen_by_caller(not_found(first, "/v1/a")) == answer_seen_by_caller(
        not_found(second, "/v1/b")
    )
    assert answer_seen_by_caller(
        _response(200, [{"id": first}], "application/json")
    ) == answer_seen_by_caller(_response(200, [{"id": second.upper()}], "application/json"))


@pytest.mark.parametrize(
    "other",
    [
        _response(403, {"type": "/problems/not-found", "status": 404, "detail": "no allocation"}),
        _response(
            404, {"type": "/problems/not-found", "status": 404, "detail": "no allocation"}, "text/plain"
        ),
        _response(404, {"type": "/problems/not-found", "status": 404, "detail": "allocation of another"}),
    ],
    ids=["status", "content type", "detail"],
)
def test_answers_differing_in_anything_else_are_told_apart(other: httpx.Response) -> None:
    made_up = _response(404, {"type": "/problems/not-found", "status": 404, "detail": "no allocation"})

    assert answer_seen_by_caller(made_up) != answer_seen_by_caller(other)


FOREIGN, OWN = str(uuid.uuid4()), str(uuid.uuid4())


def _allocations(*, leaky: bool, stores: list[str]) -> httpx.AsyncClient:
    """A service of allocations: OWN is the caller's, FOREIGN another partner's."""

    def answer(request: httpx.Request) -> httpx.Response:
        named = json.loads(request.content)["allocation_id"]
        if named == OWN:
            stores.append(named)
            return _response(201, {"id": named}, "application/json")
        if named == FOREIGN and leaky:
            return _response(404, {"status": 404, "detail": f"allocation {named} is another partner's"})
        return _response(404, {"status": 404, "detail": f"no allocation {named}"})

    return httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://test")


def _probe() -> Probe:
    return Probe(
        "POST",
        "/v1/requests",
        lambda name, named: {name: named},
        foreign={"allocation_id": [FOREIGN]},
        visible={"allocation_id": OWN},
        visible_status=201,
    )


@pytest.mark.asyncio
async def test_the_check_passes_a_service_answering_foreign_ids_like_made_up_ones() -> None:
    stores: list[str] = []

    async def stored() -> int:
        return len(stores)

    async with _allocations(leaky=False, stores=stores) as client:
        await assert_no_existence_oracle(
            client, _probe(), fields={"allocation_id"}, headers={}, stored=stored
        )

    assert stores == [OWN]


@pytest.mark.asyncio
async def test_the_check_fails_a_service_telling_foreign_ids_apart() -> None:
    stores: list[str] = []

    async def stored() -> int:
        return len(stores)

    async with _allocations(leaky=True, stores=stores) as client:
        with pytest.raises(AssertionError, match="told apart from a made-up id"):
            await assert_no_existence_oracle(
                client, _probe(), fields={"allocation_id"}, headers={}, stored=stored
            )


@pytest.mark.asyncio
async def test_the_check_fails_an_arrangement_missing_a_field() -> None:
    async def stored() -> int:
        return 0

    async with _allocations(leaky=False, stores=[]) as client:
        with pytest.raises(AssertionError, match="arrange every id-holding field"):
            await assert_no_existence_oracle(
                client, _probe(), fields={"allocation_id", "partner_id"}, headers={}, stored=stored
            )

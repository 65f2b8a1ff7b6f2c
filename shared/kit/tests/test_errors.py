"""Every error a service answers is RFC 9457 problem+json, whatever raised it; nothing internal leaks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from prm_contracts.money import Money
from prm_contracts.problem import (
    Conflict,
    NotFound,
    PreconditionFailed,
    RateLimited,
    ServiceUnavailable,
)
from prm_kit.db.session import SessionDep
from prm_kit.outbox import inbox_event
from prm_kit.testing import rolled_back_app
from pydantic import BaseModel
from starlette.exceptions import HTTPException

AppFactory = Callable[..., FastAPI]

router = APIRouter(prefix="/v1/things")


class ThingIn(BaseModel):
    name: str
    price: Money
    quantity: int


@router.get("/missing")
async def find_missing_thing() -> None:
    raise NotFound("no thing 42")


@router.post("/archived/restore")
async def restore_archived_thing() -> None:
    raise Conflict("the thing is archived", allowed=["unarchive", "copy"])


@router.patch("/stale")
async def update_stale_thing() -> None:
    raise PreconditionFailed("the thing changed since you read it")


@router.get("/busy")
async def read_busy_thing() -> None:
    raise RateLimited("too many reads", headers={"Retry-After": "30"})


@router.get("/down")
async def read_thing_while_down() -> None:
    raise ServiceUnavailable("maintenance until noon")


@router.get("/broken")
async def read_broken_thing() -> None:
    raise RuntimeError("password=hunter2 in SELECT * FROM secret_table")


@router.get("/gone")
async def read_gone_thing() -> None:
    raise HTTPException(status_code=410, detail="gone for good")


@router.post("")
async def create_thing(thing: ThingIn) -> ThingIn:
    return thing


@router.post("/twice")
async def record_thing_twice(session: SessionDep) -> None:
    row = {"id": uuid.uuid4(), "type": "thing.recorded", "received_at": datetime.now(UTC)}
    await session.execute(sa.insert(inbox_event).values(**row))
    await session.execute(sa.insert(inbox_event).values(**row))


def assert_problem(response: httpx.Response, status: int, type_: str, title: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"]
    body: dict[str, object] = response.json()
    assert (body["status"], body["type"], body["title"]) == (status, type_, title)
    return body


@pytest.mark.asyncio
async def test_not_found_raised_by_a_route(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/v1/things/missing")

    body = assert_problem(response, 404, "/problems/not-found", "Not found")
    assert body["detail"] == "no thing 42"
    assert body["instance"] == "/v1/things/missing"


@pytest.mark.asyncio
async def test_conflict_carries_its_extension_members(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.post("/v1/things/archived/restore")

    body = assert_problem(response, 409, "/problems/conflict", "Conflict")
    assert body == {
        "type": "/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "the thing is archived",
        "instance": "/v1/things/archived/restore",
        "allowed": ["unarchive", "copy"],
    }


@pytest.mark.asyncio
async def test_precondition_failed(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.patch("/v1/things/stale")

    body = assert_problem(response, 412, "/problems/precondition-failed", "Precondition failed")
    assert body["detail"] == "the thing changed since you read it"


@pytest.mark.asyncio
async def test_rate_limited_answers_with_retry_after(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/v1/things/busy")

    assert_problem(response, 429, "/problems/rate-limited", "Too many requests")
    assert response.headers["retry-after"] == "30"


@pytest.mark.asyncio
async def test_service_unavailable(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/v1/things/down")

    body = assert_problem(response, 503, "/problems/service-unavailable", "Service unavailable")
    assert body["detail"] == "maintenance until noon"


@pytest.mark.asyncio
async def test_an_unexpected_exception_is_a_bare_500_quoting_the_request_id(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/v1/things/broken", headers={"X-Request-ID": "trace-500"})

    body = assert_problem(response, 500, "/problems/internal-error", "Internal server error")
    assert response.headers["x-request-id"] == "trace-500"
    assert body["detail"] == "an unexpected error occurred; quote request id trace-500 when reporting it"
    for leak in ("hunter2", "secret_table", "RuntimeError", "Traceback", "File "):
        assert leak not in response.text


@pytest.mark.asyncio
async def test_an_http_exception_of_any_status_is_a_problem_of_that_status(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/v1/things/gone")

    assert response.status_code == 410
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    # the body must agree with the status line (RFC 9457 section 3.1.4)
    assert body["status"] == 410
    assert body["title"] == "Gone"
    assert body["detail"] == "gone for good"


@pytest.mark.asyncio
async def test_a_body_missing_fields_lists_each_of_them(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.post("/v1/things", json={})

    body = assert_problem(response, 422, "/problems/validation-error", "Request is not valid")
    assert body["instance"] == "/v1/things"
    assert body["errors"] == [
        {"loc": ["body", "name"], "msg": "Field required", "type": "missing"},
        {"loc": ["body", "price"], "msg": "Field required", "type": "missing"},
        {"loc": ["body", "quantity"], "msg": "Field required", "type": "missing"},
    ]
    assert (
        body["detail"]
        == "body.name: Field required; body.price: Field required; body.quantity: Field required"
    )


@pytest.mark.asyncio
async def test_a_price_sent_as_a_number_is_refused_with_the_reason(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    thing = {"name": "widget", "price": {"amount": 9.99, "currency": "EUR"}, "quantity": 1}
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.post("/v1/things", json=thing)

    body = assert_problem(response, 422, "/problems/validation-error", "Request is not valid")
    [issue] = body["errors"]  # type: ignore[misc]
    assert issue["loc"] == ["body", "price", "amount"]
    # the client reads the reason, without pydantic's "Value error, " prefix
    assert issue["msg"] == 'amount must be sent as a decimal string such as "1234.50", not as a JSON number'


@pytest.mark.asyncio
async def test_a_valid_body_is_answered_with_money_as_a_string(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    thing = {"name": "widget", "price": {"amount": "9.99", "currency": "EUR"}, "quantity": 1}
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.post("/v1/things", json=thing)

    assert response.status_code == 200
    assert response.json() == thing


@pytest.mark.asyncio
async def test_a_body_that_is_not_json_is_a_400_problem(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.post(
            "/v1/things", content=b'{"name": "widget",', headers={"content-type": "application/json"}
        )

    body = assert_problem(response, 400, "/problems/bad-request", "Bad request")
    assert str(body["detail"]).startswith("the body is not JSON")
    [issue] = body["errors"]  # type: ignore[misc]
    assert issue["loc"][0] == "body"
    assert issue["type"] == "json_invalid"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("headers", "named"), [({"content-type": "text/plain"}, "text/plain"), ({}, "no Content-Type")]
)
async def test_a_json_body_sent_as_another_media_type_is_told_so(
    kit_app: AppFactory, kit_database_url: str, headers: dict[str, str], named: str
) -> None:
    thing = b'{"name": "widget", "price": {"amount": "9.99", "currency": "EUR"}, "quantity": 1}'
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.post("/v1/things", content=thing, headers=headers)

    body = assert_problem(response, 422, "/problems/validation-error", "Request is not valid")
    assert str(body["detail"]).startswith(f"the body was sent as {named}: send JSON as application/json; ")


@pytest.mark.asyncio
async def test_an_unknown_route_is_a_not_found_problem(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/v1/nowhere")

    body = assert_problem(response, 404, "/problems/not-found", "Not found")
    assert body["detail"] == "no resource at GET /v1/nowhere"
    assert body["instance"] == "/v1/nowhere"


@pytest.mark.asyncio
async def test_a_wrong_method_is_a_method_not_allowed_problem(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.delete("/v1/things/missing")

    body = assert_problem(response, 405, "/problems/method-not-allowed", "Method not allowed")
    assert body["detail"] == "DELETE is not allowed on /v1/things/missing"
    assert response.headers["allow"] == "GET"


@pytest.mark.asyncio
async def test_a_write_that_breaks_a_constraint_is_a_conflict_without_sql(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.post("/v1/things/twice")

    body = assert_problem(response, 409, "/problems/conflict", "Conflict")
    assert body["detail"] == "the change conflicts with data stored meanwhile; retry"
    assert not re.search(r"inbox_event|INSERT|UNIQUE|duplicate key", response.text, re.IGNORECASE)


@pytest.mark.asyncio
async def test_every_answer_carries_a_request_id(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        answers = [
            await client.get("/v1/things/missing"),
            await client.get("/v1/things/broken"),
            await client.post("/v1/things", json={}),
            await client.get("/v1/nowhere"),
            await client.get("/healthz"),
        ]

    assert [a.status_code for a in answers] == [404, 500, 422, 404, 200]
    ids = [a.headers.get("x-request-id") for a in answers]
    assert all(ids)
    assert len(set(ids)) == len(ids)

"""A query parameter the operation does not take is a 422 naming it and the ones it takes; nothing runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Query
from prm_kit.pagination import CursorQuery, LimitQuery
from prm_kit.testing import rolled_back_app

AppFactory = Callable[..., FastAPI]


def _page(limit: LimitQuery = 10, cursor: CursorQuery = None) -> tuple[int, str | None]:
    return limit, cursor


def _notes(seen: list[str]) -> APIRouter:
    router = APIRouter()

    @router.get("/notes")
    async def list_notes(
        page: Annotated[tuple[int, str | None], Depends(_page)],
        status: Annotated[str | None, Query(alias="status")] = None,
        created_from: Annotated[str | None, Query(alias="from")] = None,
    ) -> dict[str, str | None]:
        seen.append(f"{status}/{created_from}/{page[0]}")
        return {"status": status}

    @router.post("/notes")
    async def add_note() -> dict[str, bool]:
        seen.append("added")
        return {"added": True}

    return router


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "url",
    [
        "/notes",
        "/notes?status=open",
        "/notes?status=open&from=2026-01-01&limit=5&cursor=abc",  # an alias and a dependency's parameters
        "/notes?status=a&status=b",  # repeated: the operation's own rule decides
        "/notes?status=",  # blank
    ],
)
async def test_the_parameters_an_operation_takes_pass(
    kit_app: AppFactory, kit_database_url: str, url: str
) -> None:
    seen: list[str] = []
    async with rolled_back_app(kit_app(_notes(seen)), kit_database_url) as (client, _):
        response = await client.get(url)

    assert response.status_code == 200, response.text
    assert len(seen) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "url", "unknown", "offered"),
    [
        ("GET", "/notes?stauts=open", ["stauts"], "cursor, from, limit, status"),
        ("GET", "/notes?status=open&Status=x", ["Status"], "cursor, from, limit, status"),  # names are exact
        ("GET", "/notes?=false", [""], "cursor, from, limit, status"),  # an empty name
        (
            "GET",
            "/notes?created_from=2026-01-01",
            ["created_from"],
            "cursor, from, limit, status",
        ),  # not alias
        ("GET", "/notes?a=1&b=2&a=3", ["a", "b"], "cursor, from, limit, status"),  # each named once
        ("POST", "/notes?dry_run=true", ["dry_run"], "none"),
    ],
)
async def test_an_unknown_parameter_is_a_422_naming_it_and_nothing_runs(
    kit_app: AppFactory,
    kit_database_url: str,
    method: str,
    url: str,
    unknown: list[str],
    offered: str,
) -> None:
    seen: list[str] = []
    async with rolled_back_app(kit_app(_notes(seen)), kit_database_url) as (client, _):
        response = await client.request(method, url)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [issue["loc"] for issue in problem["errors"]] == [["query", name] for name in unknown]
    assert {issue["type"] for issue in problem["errors"]} == {"unknown_query_parameter"}
    assert problem["detail"].endswith(f"this operation takes: {offered}")
    for name in unknown:
        assert repr(name) in problem["detail"]
    assert seen == []


@pytest.mark.asyncio
async def test_a_thousand_unknown_parameters_are_named_up_to_twenty(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    query = "&".join(f"p{n}=1" for n in range(1000))
    seen: list[str] = []
    async with rolled_back_app(kit_app(_notes(seen)), kit_database_url) as (client, _):
        response = await client.get(f"/notes?{query}")

    assert response.status_code == 422, response.text
    problem = response.json()
    assert [issue["loc"] for issue in problem["errors"]] == [["query", f"p{n}"] for n in range(20)]
    assert "'p19' and 980 more; this operation takes" in problem["detail"]
    assert len(response.content) < 10_000  # not an answer many times the request's size
    assert seen == []


@pytest.mark.asyncio
async def test_the_kit_s_documented_operations_are_guarded_and_health_probes_not(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    async with rolled_back_app(kit_app(_notes([])), kit_database_url) as (client, _):
        dead_letters = await client.get("/v1/event-dead-letters/kittest?stauts=parked")
        health = await client.get("/healthz?probe=1")

    assert dead_letters.status_code == 422, dead_letters.text
    assert dead_letters.json()["errors"][0]["loc"] == ["query", "stauts"]
    assert health.status_code == 200, health.text

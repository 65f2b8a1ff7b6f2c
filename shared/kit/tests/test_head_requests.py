"""HEAD answers what GET would, without the body; the middlewares outside still see a HEAD."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Response
from fastapi.responses import StreamingResponse
from prm_kit.errors import install_problem_handlers
from prm_kit.head_requests import HeadAsGetMiddleware
from prm_kit.metrics import MetricsMiddleware
from prometheus_client import REGISTRY
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SERVICE = "headtest"


class MethodSeenOutside:
    """Records the method of each request as the server sees it in its scope while each message of the answer
    is sent (uvicorn expects no body for a HEAD then), and once the app is done."""

    def __init__(self, app: ASGIApp, *, seen: list[str]) -> None:
        self.app, self.seen = app, seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def watched(message: Message) -> None:
            self.seen.append(f"{scope['method']} while sending {message['type']}")
            await send(message)

        await self.app(scope, receive, watched)
        self.seen.append(f"{scope['method']} when done")


def _app(seen: list[str], ran: list[str]) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/things/{thing_id}")
    async def read_thing(thing_id: int, response: Response) -> dict[str, int]:
        ran.append("read_thing")
        response.headers["ETag"] = f'"thing-{thing_id}"'
        return {"id": thing_id, "size": 12345}

    @app.get("/export")
    async def export() -> StreamingResponse:
        async def rows() -> AsyncIterator[bytes]:
            for n in range(3):
                yield f"{n},row\n".encode()

        return StreamingResponse(rows(), media_type="text/csv")

    @app.post("/things")
    async def add_thing() -> dict[str, str]:
        return {"added": "yes"}

    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(MetricsMiddleware, service=SERVICE)
    app.add_middleware(MethodSeenOutside, seen=seen)
    return app


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.mark.asyncio
async def test_a_head_answers_the_gets_status_and_headers_with_an_empty_body() -> None:
    ran: list[str] = []
    async with _client(_app([], ran)) as client:
        got = await client.get("/things/7")
        head = await client.head("/things/7")

    assert got.json() == {"id": 7, "size": 12345}
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers == got.headers  # Content-Length of the GET's body included
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["etag"] == '"thing-7"'
    assert ran == ["read_thing", "read_thing"]  # the HEAD ran the GET's operation


@pytest.mark.asyncio
async def test_a_head_of_a_streamed_answer_sends_none_of_its_pieces() -> None:
    async with _client(_app([], [])) as client:
        got = await client.get("/export")
        head = await client.head("/export")

    assert got.text == "0,row\n1,row\n2,row\n"
    assert (head.status_code, head.headers["content-type"], head.content) == (
        200,
        got.headers["content-type"],
        b"",
    )


@pytest.mark.asyncio
async def test_a_head_where_there_is_no_get_is_a_405_problem_without_a_body() -> None:
    async with _client(_app([], [])) as client:
        answer = await client.head("/things")
        posted = await client.post("/things")

    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["allow"] == "POST"
    assert answer.content == b""
    assert posted.json() == {"added": "yes"}  # other methods pass untouched


@pytest.mark.asyncio
async def test_the_server_and_the_middlewares_outside_see_a_head_counted_under_its_route() -> None:
    seen: list[str] = []
    labels = {"service": SERVICE, "method": "HEAD", "route": "/things/{thing_id}", "status": "200"}
    before = REGISTRY.get_sample_value("prm_http_requests_total", labels) or 0.0
    async with _client(_app(seen, [])) as client:
        await client.head("/things/1")

    assert seen == [
        "HEAD while sending http.response.start",
        "HEAD while sending http.response.body",
        "HEAD when done",
    ]
    assert REGISTRY.get_sample_value("prm_http_requests_total", labels) == before + 1

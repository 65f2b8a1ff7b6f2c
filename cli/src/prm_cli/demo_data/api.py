"""The few HTTP habits every demo loader needs: JSON in and out, `Idempotency-Key` on creates, `If-Match`
on updates, patience with the gateway's rate limit, and a loud failure naming the step and the problem."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

Json = dict[str, Any]
Params = Mapping[str, str | int | bool | list[str]]

MAX_ATTEMPTS = 8
MAX_WAIT_SECONDS = 10.0


class DemoRequestFailed(httpx.HTTPStatusError):
    """A demo request answered with something other than 2xx; the message carries the problem detail."""


@dataclass(frozen=True)
class Reply:
    json: Json
    etag: str | None


def _problem_text(response: httpx.Response) -> str:
    """`409 Registration number already registered: partner … is already registered …`, plus field errors."""
    try:
        problem = response.json()
    except ValueError:
        return f"{response.status_code} {response.text[:300]}"
    if not isinstance(problem, dict):
        return f"{response.status_code} {problem!r:.300}"
    text = f"{response.status_code} {problem.get('title', response.reason_phrase)}"
    if problem.get("detail"):
        text += f": {problem['detail']}"
    for error in problem.get("errors") or []:
        location = ".".join(str(part) for part in error.get("loc", []))
        text += f"; {location}: {error.get('msg')}"
    return text


def _wait_seconds(response: httpx.Response) -> float:
    try:
        return min(MAX_WAIT_SECONDS, max(0.1, float(response.headers.get("Retry-After", "1"))))
    except ValueError:
        return 1.0


@dataclass(frozen=True)
class Api:
    """JSON calls on an `httpx.AsyncClient` that already knows the gateway and carries the admin key."""

    client: httpx.AsyncClient

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: Json | None = None,
        params: Params | None = None,
        if_match: str | None = None,
        creates: bool = False,
        step: str | None = None,
    ) -> Reply:
        """One request; 429s are waited out. `creates` sends an `Idempotency-Key`, so a request cut off
        on the way is retried without making a second resource. Raises `DemoRequestFailed` otherwise."""
        headers = {}
        if if_match is not None:
            headers["If-Match"] = if_match
        if creates:
            headers["Idempotency-Key"] = f"demo-{uuid.uuid4()}"
        retry_safe = method == "GET" or creates
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = await self.client.request(method, path, json=body, params=params, headers=headers)
            except httpx.TransportError:
                if not retry_safe or attempt == MAX_ATTEMPTS:
                    raise
                await asyncio.sleep(0.5 * attempt)
                continue
            if response.status_code == 429 and attempt < MAX_ATTEMPTS:
                await asyncio.sleep(_wait_seconds(response))
                continue
            break
        if not response.is_success:
            what = f" ({step})" if step else ""
            raise DemoRequestFailed(
                f"{method} {path}{what} failed: {_problem_text(response)}",
                request=response.request,
                response=response,
            )
        json: Json = response.json() if response.content else {}
        return Reply(json=json, etag=response.headers.get("ETag"))

    async def get(self, path: str, **params: str | int | bool | list[str]) -> Json:
        return (await self.call("GET", path, params=params)).json

    async def post(self, path: str, body: Json | None = None, *, step: str | None = None) -> Json:
        """A creating POST (or a step such as a decision), with an `Idempotency-Key`."""
        return (await self.call("POST", path, body=body, creates=True, step=step)).json

    async def patch(self, path: str, body: Json, *, etag: str | None, step: str | None = None) -> Reply:
        return await self.call("PATCH", path, body=body, if_match=etag, step=step)

"""Problem+json answers sent straight from raw ASGI code (the proxy path has no FastAPI handlers)."""

from __future__ import annotations

from prm_contracts.problem import AppError
from prm_kit.errors import problem_response
from prm_kit.request_id import REQUEST_ID_HEADER
from starlette.requests import Request
from starlette.types import Receive, Scope, Send


async def send_problem(scope: Scope, receive: Receive, send: Send, error: AppError, request_id: str) -> None:
    response = problem_response(error, Request(scope))
    response.headers[REQUEST_ID_HEADER] = request_id
    await response(scope, receive, send)

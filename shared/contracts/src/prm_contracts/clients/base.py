"""The one way a service calls another: typed methods over httpx, problems turned back into AppError."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from prm_contracts.health import Readiness
from prm_contracts.problem import AppError, BadGateway, GatewayTimeout, Problem, ServiceUnavailable

M = TypeVar("M", bound=BaseModel)


class ServiceClient:
    """Base of the typed clients. The caller owns the httpx.AsyncClient (pooling, auth, request-id hooks)."""

    service: str = "service"

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The answer, whatever its status; a service that does not answer is a 503 or 504 problem."""
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise GatewayTimeout(f"{self.service} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"{self.service} is unreachable") from exc

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self._request(method, path, **kwargs)
        if response.is_success:
            return response
        raise self._error_from(response)

    def _error_from(self, response: httpx.Response) -> AppError:
        try:
            problem = Problem.model_validate_json(response.content)
        except ValidationError:
            return BadGateway(f"{self.service} answered {response.status_code} without a problem body")
        return AppError.from_problem(problem)

    async def _json(self, method: str, path: str, model: type[M], **kwargs: Any) -> M:
        response = await self._send(method, path, **kwargs)
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise BadGateway(f"{self.service} answered with a body that breaks the contract") from exc

    async def readiness(self) -> Readiness:
        """`/readyz` answers 503 with a Readiness body when not ready; both are answers, not errors."""
        try:
            response = await self._http.get("/readyz")
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"{self.service} is unreachable") from exc
        return Readiness.model_validate_json(response.content)

    async def openapi(self) -> dict[str, Any]:
        response = await self._send("GET", "/openapi.json")
        document: dict[str, Any] = response.json()
        return document

"""Stand-ins at the boundaries of the registry: scoring over HTTP (`httpx.MockTransport`) and the clock."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from fastapi import FastAPI
from prm_contracts.problem import PROBLEM_MEDIA_TYPE, ServiceUnavailable
from prm_contracts.scoring import (
    APPLICATION_EVALUATION_PATH,
    PREQUALIFICATION_PATH,
    ApplicationEvaluation,
    CriterionScore,
    GateResult,
    PrequalificationResult,
)
from prm_kit.clock import utc_now

ScoringMode = Literal["pass", "fail", "unreachable", "problem", "garbage", "broken_contract"]

PASSING = PrequalificationResult(
    passed=True,
    gates=[
        GateResult(gate="min_employees", passed=True, detail="85 employees, at least 10 required"),
        GateResult(gate="country_served", passed=True),
    ],
    model_version="partner-eval-2026.3",
)
FAILING = PrequalificationResult(
    passed=False,
    gates=[
        GateResult(gate="min_employees", passed=False, detail="4 employees, at least 10 required"),
        GateResult(gate="country_served", passed=True),
    ],
    model_version="partner-eval-2026.3",
)
EVALUATION = ApplicationEvaluation.model_validate(
    {
        "score": "72.5",
        "grade": "B",
        "criteria": [
            {"criterion": "strategic_fit", "weight": "0.5", "score": "80", "contribution": "40"},
            {"criterion": "financial_stability", "weight": "0.5", "score": "65", "contribution": "32.5"},
        ],
        "model_version": "partner-eval-2026.3",
    }
)
assert isinstance(EVALUATION.criteria[0], CriterionScore)


@dataclass
class FakeScoring:
    """Scoring's two internal endpoints, answering as `mode` says, remembering each request it got.
    `while_answering`, when set, is awaited before each answer (to look at the registry mid-call)."""

    mode: ScoringMode = "pass"
    requests: list[httpx.Request] = field(default_factory=list)
    while_answering: Callable[[], Awaitable[None]] | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._answer)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.url.path == path]

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.while_answering is not None:
            await self.while_answering()
        if self.mode == "unreachable":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "problem":
            body = ServiceUnavailable("model store is down").to_problem(request.url.path)
            return httpx.Response(
                503,
                json=body.model_dump(mode="json", exclude_none=True),
                headers={"content-type": PROBLEM_MEDIA_TYPE},
            )
        if self.mode == "garbage":
            return httpx.Response(502, text="<html>Bad gateway</html>")
        if self.mode == "broken_contract":
            return httpx.Response(200, json={"passed": "perhaps"})
        if request.url.path == PREQUALIFICATION_PATH:
            result = PASSING if self.mode == "pass" else FAILING
            return httpx.Response(200, json=result.model_dump(mode="json"))
        if request.url.path == APPLICATION_EVALUATION_PATH:
            return httpx.Response(200, json=EVALUATION.model_dump(mode="json"))
        return httpx.Response(404, json={"title": "Not found", "status": 404})


@dataclass
class Clock:
    """The registry's notion of now (`prm_kit.clock.utc_now`), moved by the test."""

    now: datetime = field(default_factory=lambda: datetime(2026, 7, 1, 9, 0, tzinfo=UTC))

    def install(self, app: FastAPI) -> Clock:
        app.dependency_overrides[utc_now] = lambda: self.now
        return self

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

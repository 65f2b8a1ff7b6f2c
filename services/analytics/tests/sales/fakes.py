"""Stand-ins at the boundaries of analytics' sales webhooks: the registry over HTTP (`httpx.MockTransport`
answering contract models) and the clock."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import UUID, uuid4

import httpx
from fastapi import FastAPI
from prm_contracts.problem import PROBLEM_MEDIA_TYPE, NotFound
from prm_contracts.webhook_secrets import PartnerWebhookSecrets, WebhookSigningSecret
from prm_kit.clock import utc_now

RegistryMode = Literal["up", "unreachable", "garbage"]


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class FakeRegistry:
    """The registry's `GET /internal/partners/{id}/webhook-secrets`: partners and their secrets as the test
    arranged them, answering as `mode` says and remembering each request."""

    partners: dict[UUID, list[WebhookSigningSecret]] = field(default_factory=dict)
    mode: RegistryMode = "up"
    requests: list[httpx.Request] = field(default_factory=list)
    # The secret cache's monotonic clock: still unless a test moves it, so that what is kept expires and is
    # renewed when the test says, never because the machine was slow.
    seconds: float = 1000.0
    waits: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.seconds

    async def sleep(self, seconds: float) -> None:
        """The cache's wait before asking again: moves the clock instead of spending the time."""
        self.waits.append(seconds)
        self.seconds += seconds

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._answer)

    def partner(
        self,
        *,
        secret: str | None = None,
        valid_from: datetime = datetime(2026, 1, 1, tzinfo=UTC),
        valid_until: datetime | None = None,
    ) -> tuple[UUID, str]:
        """A new partner with one secret (a new one unless given); (its id, the secret)."""
        partner_id = uuid4()
        secret = secret or new_secret()
        self.partners[partner_id] = []
        self.add_secret(partner_id, secret, valid_from=valid_from, valid_until=valid_until)
        return partner_id, secret

    def partner_without_secrets(self) -> UUID:
        partner_id = uuid4()
        self.partners[partner_id] = []
        return partner_id

    def add_secret(
        self,
        partner_id: UUID,
        secret: str,
        *,
        valid_from: datetime = datetime(2026, 1, 1, tzinfo=UTC),
        valid_until: datetime | None = None,
    ) -> None:
        self.partners[partner_id].insert(
            0,
            WebhookSigningSecret(
                id=uuid4(),
                secret=secret,
                fingerprint="0" * 12,
                valid_from=valid_from,
                valid_until=valid_until,
            ),
        )

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.mode == "unreachable":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "garbage":
            return httpx.Response(502, text="<html>Bad gateway</html>")
        parts = request.url.path.strip("/").split("/")
        assert parts[:2] == ["internal", "partners"], request.url.path
        assert parts[3:] == ["webhook-secrets"], request.url.path
        partner_id = UUID(parts[2])
        if partner_id not in self.partners:
            problem = NotFound(f"no partner {partner_id}").to_problem(request.url.path)
            return httpx.Response(
                404,
                json=problem.model_dump(mode="json", exclude_none=True),
                headers={"content-type": PROBLEM_MEDIA_TYPE},
            )
        answer = PartnerWebhookSecrets(partner_id=partner_id, secrets=self.partners[partner_id])
        return httpx.Response(200, json=answer.model_dump(mode="json"))


@dataclass
class Clock:
    """Analytics' notion of now (`prm_kit.clock.utc_now`), moved by the test."""

    now: datetime = field(default_factory=lambda: datetime(2026, 7, 1, 9, 0, tzinfo=UTC))

    def install(self, app: FastAPI) -> Clock:
        app.dependency_overrides[utc_now] = lambda: self.now
        return self

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

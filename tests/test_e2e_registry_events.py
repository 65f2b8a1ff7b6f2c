"""The registry's events reach a subscriber over real HTTP: the registry runs as its own uvicorn process,
the subscriber is an HTTP server that refuses the first delivery, so the relay's retry is exercised too.

Honours PRM_TEST_DB like every suite (a fresh database for the registry, dropped afterwards).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from partner_registry.main import MIGRATIONS_DIR
from prm_contracts.principal import ADMIN_SCOPE, Principal
from prm_kit.internal_auth import INTERNAL_HEADER, PrincipalVerifier
from prm_kit.testing import (
    TEST_SECRET,
    free_ports,
    internal_headers,
    served_on_fresh_database,
)

pytestmark = pytest.mark.e2e

DELIVERY_SECONDS = 60
CHANNEL_MANAGER = Principal(subject="user:e2e-channel-manager", scopes=frozenset({ADMIN_SCOPE}))


@dataclass
class Subscriber:
    """What the subscriber saw: every batch's events and the credential it came with."""

    url: str
    refuse_first: int = 1
    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    callers: list[str] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [event for batch in self.batches for event in batch]


def _handler_for(subscriber: Subscriber) -> type[BaseHTTPRequestHandler]:
    verifier = PrincipalVerifier(TEST_SECRET)

    class EventsHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path != "/internal/events":
                self._answer(404, {})
                return
            with subscriber.lock:
                if subscriber.refused < subscriber.refuse_first:
                    subscriber.refused += 1
                    self._answer(503, {"title": "busy"})
                    return
                subscriber.callers.append(verifier.verify(self.headers[INTERNAL_HEADER]).subject)
                events = json.loads(body)["events"]
                subscriber.batches.append(events)
            self._answer(200, {"accepted": len(events), "duplicates": 0})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return EventsHandler


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    (port,) = free_ports(1)
    subscriber = Subscriber(url=f"http://127.0.0.1:{port}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(subscriber))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield subscriber
    server.shutdown()
    server.server_close()


@pytest.fixture
def registry_url(tmp_path: Path, subscriber: Subscriber) -> Iterator[str]:
    """The registry as its own process, on a fresh migrated database, relaying to `subscriber`."""
    environment = {"PRM_REGISTRY_EVENT_SUBSCRIBERS": subscriber.url, "PRM_OUTBOX_POLL_SECONDS": "0.2"}
    with served_on_fresh_database(
        "registry", "partner_registry.main:create_app", MIGRATIONS_DIR, tmp_path, environment
    ) as url:
        yield url


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    response = client.request(method, path, **kwargs)
    assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
    return response


def _days_ahead(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def _partner_walked_through_its_life(client: httpx.Client) -> str:
    """Create, update, tier, activate a partner, then register and win a deal with it; its id."""
    created = _call(
        client,
        "POST",
        "/v1/partners",
        json={"legal_name": "Nordlicht IT GmbH", "partner_type": "reseller", "country": "DE"},
    )
    partner_id: str = created.json()["id"]
    _call(
        client,
        "PATCH",
        f"/v1/partners/{partner_id}",
        json={"region": "DACH"},
        headers={"If-Match": created.headers["etag"]},
    )
    _call(
        client, "POST", f"/v1/partners/{partner_id}/tier-changes", json={"tier": "silver", "reason": "Review"}
    )
    _call(
        client,
        "POST",
        f"/v1/partners/{partner_id}/agreements",
        json={
            "agreement_type": "reseller",
            "status": "active",
            "signed_on": _days_ahead(-10),
            "starts_on": _days_ahead(-5),
        },
    )
    checklist = _call(client, "GET", f"/v1/partners/{partner_id}/onboarding-checklist")
    items = [{"key": item["key"], "completed": True} for item in checklist.json()["items"]]
    _call(
        client,
        "PATCH",
        f"/v1/partners/{partner_id}/onboarding-checklist",
        json={"items": items},
        headers={"If-Match": checklist.headers["etag"]},
    )
    for status in ("applied", "onboarding", "active"):
        _call(
            client,
            "POST",
            f"/v1/partners/{partner_id}/status-transitions",
            json={"to_status": status, "reason": f"e2e: {status}"},
        )
    deal = _call(
        client,
        "POST",
        "/v1/deal-registrations",
        json={
            "partner_id": partner_id,
            "customer_name": "Globex Logistics AG",
            "customer_domain": "globex-logistics.example",
            "country": "DE",
            "products": ["firewall"],
            "estimated_value": {"amount": "48000.00", "currency": "EUR"},
            "expected_close_on": _days_ahead(45),
        },
    ).json()
    assert deal["status"] == "approved"
    _call(
        client,
        "POST",
        f"/v1/deal-registrations/{deal['id']}/outcome",
        json={"outcome": "won", "final_amount": {"amount": "45500.00", "currency": "EUR"}},
    )
    return partner_id


def test_the_registry_delivers_its_events_to_a_subscriber_at_least_once(
    registry_url: str, subscriber: Subscriber
) -> None:
    with httpx.Client(base_url=registry_url, headers=internal_headers(CHANNEL_MANAGER), timeout=10) as client:
        partner_id = _partner_walked_through_its_life(client)

    expected = [
        "partner.created",
        "partner.updated",
        "partner.tier_changed",
        "partner.status_changed",
        "partner.status_changed",
        "partner.status_changed",
        "deal_registration.approved",
        "deal_registration.won",
    ]
    deadline = time.monotonic() + DELIVERY_SECONDS
    while time.monotonic() < deadline:
        types = [event["type"] for event in subscriber.events() if event["type"] in set(expected)]
        if len(types) >= len(expected):
            break
        time.sleep(0.2)

    events = [event for event in subscriber.events() if event["type"] in set(expected)]
    assert subscriber.refused == 1  # the first delivery was refused, so what arrived came by a retry
    assert [event["type"] for event in events] == expected
    assert len({event["id"] for event in events}) == len(events)
    assert {event["source"] for event in events} == {"partner-registry"}
    assert subscriber.callers
    assert set(subscriber.callers) == {"service:registry"}
    created, _updated, tiered, *transitions, approved, won = events
    assert created["data"]["partner"]["id"] == partner_id
    assert tiered["data"]["to_tier"] == "silver"
    assert [t["data"]["to_status"] for t in transitions] == ["applied", "onboarding", "active"]
    assert approved["data"]["partner_id"] == won["data"]["partner_id"] == partner_id
    assert won["data"]["final_amount"] == {"amount": "45500.00", "currency": "EUR"}

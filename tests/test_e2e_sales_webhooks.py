"""Signed sales webhooks end to end, with real processes: the registry (partners and their webhook secrets),
analytics (the webhook receiver, its outbox relay) and the gateway (`python -m gateway.serve`), each on a
fresh database of the test backend (PRM_TEST_DB), started in parallel and shared by the whole module.

A partner system signs with the independent `standardwebhooks` package and sends through the gateway. The
`sales.recorded` subscriber is an HTTP server of this test that can be stopped, started again and told to
refuse an event for good. Tests run in file order; the one that SIGKILLs analytics comes last, because a
relay killed while it holds a batch leaves that batch leased for a minute, which would hold back the
events the other tests wait for.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from prm_cli.e2e import (
    WAIT_SECONDS,
    PartnerSystem,
    Service,
    new_partner,
    partner_system,
    running_platform,
    sales_body,
    wait_for,
)
from prm_kit.testing import free_ports

pytestmark = pytest.mark.e2e

POISON = "POISON-"  # lines whose external_id starts so make the subscriber refuse their event for good


# --- the subscriber of sales.recorded ----------------------------------------------------------------------


@dataclass
class Subscriber:
    """An HTTP server standing in for incentives: what arrived, by event id (deliveries are at least once)."""

    port: int
    refuse_poison: bool = True
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def recorded_lines(self, partner_id: str) -> dict[str, dict[str, Any]]:
        """external_id -> line, of every `sales.recorded` event of the partner that arrived."""
        with self.lock:
            events = list(self.events.values())
        return {
            line["external_id"]: line
            for event in events
            if event["type"] == "sales.recorded" and event["data"]["partner_id"] == partner_id
            for line in event["data"]["lines"]
        }


def _poisoned(event: dict[str, Any]) -> bool:
    lines = event["data"].get("lines", []) if event["type"] == "sales.recorded" else []
    return any(line["external_id"].startswith(POISON) for line in lines)


def _handler_for(subscriber: Subscriber) -> type[BaseHTTPRequestHandler]:
    class EventsHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            events = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["events"]
            with subscriber.lock:
                refused = [e["id"] for e in events if subscriber.refuse_poison and _poisoned(e)]
                if refused:
                    subscriber.refused.update(refused)
                    self._answer(422, {"title": "Unprocessable Content", "detail": "a poisoned line"})
                    return
                subscriber.events.update({event["id"]: event for event in events})
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


# --- the platform ------------------------------------------------------------------------------------------


@dataclass
class Platform:
    gateway: httpx.Client  # with the admin key
    analytics: Service
    subscriber: Subscriber


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    folder = tmp_path_factory.mktemp("sales-webhooks")
    (subscriber_port,) = free_ports(1)
    subscriber = Subscriber(subscriber_port)
    analytics = {
        "PRM_ANALYTICS_EVENT_SUBSCRIBERS": subscriber.url,
        # two refusals of an event alone park it: one backoff (1-2 s) instead of four
        "PRM_RELAY_DEAD_LETTER_ATTEMPTS": "2",
    }
    subscriber.start()
    try:
        # no subscriptions but this test's subscriber: analytics reads webhook secrets from the registry
        with running_platform(
            folder, ("registry", "analytics"), {"analytics": analytics}, subscriptions={}
        ) as running:
            yield Platform(running.gateway, running.services["analytics"], subscriber)
    finally:
        subscriber.stop()


# --- a partner system --------------------------------------------------------------------------------------


@dataclass
class RetryingPartnerSystem(PartnerSystem):
    """A sender that retries (same webhook-id, same body, a fresh timestamp and signature per attempt,
    exponential backoff) on connection errors, 5xx, 409 and 429, as the Standard Webhooks specification asks
    of senders."""

    attempts_failed: int = 0

    def deliver(self, client: httpx.Client, webhook_id: str, body: str, *, deadline: float) -> httpx.Response:
        delay = 0.05
        while True:
            try:
                response = self.post(client, webhook_id, body)
                if response.status_code < 500 and response.status_code not in (409, 429):
                    return response
            except httpx.TransportError:
                pass
            self.attempts_failed += 1
            assert time.monotonic() < deadline, f"{webhook_id} not delivered before the deadline"
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def _partner_system(gateway: httpx.Client, name: str) -> RetryingPartnerSystem:
    erp = partner_system(gateway, new_partner(gateway, name))
    return RetryingPartnerSystem(erp.partner_id, erp.secret)


def _lines(prefix: str, count: int, *, first: int = 0) -> list[dict[str, Any]]:
    """`count` sales lines; line n sells (n % 7 + 1) units at 10.n EUR, so every amount differs."""
    lines = []
    for number in range(first, first + count):
        quantity, price = number % 7 + 1, Decimal(10) + Decimal(number) / 100
        lines.append(
            {
                "external_id": f"{prefix}{number:05d}",
                "kind": "sale",
                "occurred_on": (datetime.now(UTC).date() - timedelta(days=number % 20 + 1)).isoformat(),
                "payment_status": "invoiced",
                "customer": {"name": f"Customer {number % 13}", "country": "DE"},
                "product": {"sku": f"SKU-{number % 5}", "category": "networking"},
                "quantity": str(quantity),
                "unit_price": str(price),
                "amount": str(quantity * price),
                "currency": "EUR",
            }
        )
    return lines


def _stored_lines(gateway: httpx.Client, partner_id: str) -> list[dict[str, Any]]:
    """Every stored line of the partner, read through the gateway page by page."""
    lines: list[dict[str, Any]] = []
    params: dict[str, Any] = {"partner_id": partner_id, "limit": 200}
    while True:
        page = gateway.get("/v1/sales/lines", params=params)
        assert page.status_code == 200, page.text
        lines += page.json()["items"]
        if page.json()["next_cursor"] is None:
            return lines
        params["cursor"] = page.json()["next_cursor"]


def _metric(analytics: Service, name: str) -> float:
    """A metric of analytics' /metrics (loopback may read it), summed over its labels; 0 when absent."""
    text = httpx.get(f"{analytics.url}/metrics", timeout=5.0).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and line[len(name)] in " {"
    )


# --- the tests, in file order ------------------------------------------------------------------------------


def test_a_signed_delivery_through_the_gateway_is_stored_once_and_readable(platform: Platform) -> None:
    erp = _partner_system(platform.gateway, "Signed Sales GmbH")
    lines = _lines("A-", 3)
    deadline = time.monotonic() + WAIT_SECONDS

    answer = erp.deliver(platform.gateway, "msg_a_1", sales_body(lines), deadline=deadline)
    again = erp.deliver(platform.gateway, "msg_a_1", sales_body(lines), deadline=deadline)

    assert answer.status_code == 200, answer.text
    assert answer.json()["counts"] == {"received": 3, "accepted": 3, "duplicate": 0, "rejected": 0}
    assert (again.status_code, again.headers.get("webhook-replayed"), again.json()) == (
        200,
        "true",
        answer.json(),
    )
    stored = {line["external_id"]: line for line in _stored_lines(platform.gateway, erp.partner_id)}
    assert sorted(stored) == ["A-00000", "A-00001", "A-00002"]
    # line 2: 3 units at 10.02 = 30.06
    assert (Decimal(stored["A-00002"]["quantity"]), Decimal(stored["A-00002"]["amount"])) == (
        Decimal(3),
        Decimal("30.06"),
    )
    assert {line["webhook_id"] for line in stored.values()} == {"msg_a_1"}
    unsigned = platform.gateway.post(
        f"/v1/webhooks/partners/{erp.partner_id}/sales", content=sales_body(_lines("A-", 1, first=9))
    )
    assert unsigned.status_code == 401
    assert unsigned.headers["content-type"].startswith("application/problem+json")
    assert len(_stored_lines(platform.gateway, erp.partner_id)) == 3


def test_a_line_dated_at_the_calendars_edge_is_a_422_and_stores_nothing(platform: Platform) -> None:
    # 0001-01-01 was a 500: the anomaly guard reads the 90 days before the earliest line
    erp = _partner_system(platform.gateway, "Calendar Edge GmbH")
    answers = []
    for number, day in enumerate(["0001-01-01", "9999-12-31"]):
        line = _lines("E-", 1, first=number)[0] | {"occurred_on": day}
        answers.append(erp.post(platform.gateway, f"msg_e_{number}", sales_body([line])))  # no retry of a 500

    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        (error,) = answer.json()["errors"]
        assert (error["type"], error["loc"][-1]) == ("date_out_of_range", "occurred_on")
    assert _stored_lines(platform.gateway, erp.partner_id) == []


def test_the_outbox_drains_to_a_subscriber_that_was_down(platform: Platform) -> None:
    erp = _partner_system(platform.gateway, "Outbox Drain GmbH")
    failed_before = _metric(platform.analytics, "prm_outbox_failed_batches_total")
    platform.subscriber.stop()
    deadline = time.monotonic() + WAIT_SECONDS
    accepted: set[str] = set()
    try:
        for number in range(8):
            batch = _lines("C-", 25, first=number * 25)
            answer = erp.deliver(platform.gateway, f"msg_c_{number}", sales_body(batch), deadline=deadline)
            assert answer.status_code == 200, answer.text
            accepted |= {line["external_id"] for line in answer.json()["accepted"]}
        # the relay tried while the subscriber was down, and nothing of the partner arrived
        wait_for(
            lambda: _metric(platform.analytics, "prm_outbox_failed_batches_total") > failed_before,
            "a failed delivery to the stopped subscriber",
        )
        assert platform.subscriber.recorded_lines(erp.partner_id) == {}
    finally:
        platform.subscriber.start()

    wait_for(
        lambda: set(platform.subscriber.recorded_lines(erp.partner_id)) >= accepted,
        "every accepted line in a sales.recorded event",
    )

    recorded = platform.subscriber.recorded_lines(erp.partner_id)
    assert len(accepted) == 200
    assert set(recorded) == accepted
    stored = {line["id"] for line in _stored_lines(platform.gateway, erp.partner_id)}
    assert {line["id"] for line in recorded.values()} == stored


def test_an_event_the_subscriber_refuses_for_good_is_parked_and_later_ones_flow(platform: Platform) -> None:
    erp = _partner_system(platform.gateway, "Dead Letter GmbH")
    deadline = time.monotonic() + WAIT_SECONDS
    batches = [_lines("D-", 5), _lines(POISON, 5), _lines("D-", 5, first=5)]
    for number, batch in enumerate(batches):
        answer = erp.deliver(platform.gateway, f"msg_d_{number}", sales_body(batch), deadline=deadline)
        assert answer.status_code == 200, answer.text

    def parked() -> list[dict[str, Any]]:
        page = platform.gateway.get("/v1/event-dead-letters/analytics", params={"limit": 200})
        assert page.status_code == 200, page.text
        return [
            letter for letter in page.json()["items"] if letter["event_id"] in platform.subscriber.refused
        ]

    wait_for(lambda: bool(parked()), "the refused event parked as a dead letter")
    wait_for(
        lambda: len(platform.subscriber.recorded_lines(erp.partner_id)) == 10,
        "the events after the parked one",
    )

    (letter,) = parked()
    assert (letter["event_type"], letter["status_code"], letter["attempts"]) == ("sales.recorded", 422, 2)
    assert letter["subscriber"] == platform.subscriber.url
    assert sorted(platform.subscriber.recorded_lines(erp.partner_id)) == [f"D-{n:05d}" for n in range(10)]
    assert _metric(platform.analytics, "prm_outbox_events_parked") == 1

    # the subscriber is fixed; the admin replays the letter and the poisoned lines arrive too
    with platform.subscriber.lock:
        platform.subscriber.refuse_poison = False
    replay = platform.gateway.post(f"/v1/event-dead-letters/analytics/{letter['event_id']}/replays", json={})
    assert replay.status_code == 200, replay.text
    assert replay.json()["replayed"] is True
    assert len(platform.subscriber.recorded_lines(erp.partner_id)) == 15
    assert parked() == []


def _sales_csv(path: Path, prefix: str, count: int) -> Path:
    """A CSV import file of `count` sales lines of 2 x 150.00 EUR each."""
    header = "external_id,kind,occurred_on,payment_status,customer_name,product_sku,product_category,"
    header += "quantity,unit_price,amount,currency"
    day = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
    rows = (
        f"{prefix}{n:06d},sale,{day},invoiced,Customer {n % 13},SKU-1,networking,2,150.00,300.00,EUR"
        for n in range(count)
    )
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def _prm_import_sales(
    platform: Platform, file: Path, partner_id: str, key: str
) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).parent / "prm"),
        "import",
        "sales",
        str(file),
        "--partner",
        partner_id,
    ]
    command += ["--gateway", str(platform.gateway.base_url).rstrip("/"), "--key", key]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=WAIT_SECONDS, env={**os.environ, "COLUMNS": "200"}
    )


def test_prm_import_sales_stores_a_known_partners_file_and_refuses_others_storing_nothing(
    platform: Platform, tmp_path: Path
) -> None:
    key = platform.gateway.headers["authorization"].removeprefix("Bearer ")
    erp = _partner_system(platform.gateway, "Imported Sales GmbH")
    unknown = str(uuid4())
    # megabytes: the gateway refuses before reading, so the connection closes while the file is being sent
    big = _sales_csv(tmp_path / "big.csv", "I-", 60_000)

    imported = _prm_import_sales(platform, _sales_csv(tmp_path / "small.csv", "I-", 3), erp.partner_id, key)
    unknown_partner = _prm_import_sales(platform, big, unknown, key)
    wrong_key = _prm_import_sales(platform, big, erp.partner_id, "prm_" + "x" * 40)

    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "3 record(s): 3 stored" in imported.stdout
    assert unknown_partner.returncode == 1
    assert "(404). Nothing was stored." in unknown_partner.stdout, unknown_partner.stdout
    assert unknown in unknown_partner.stdout.replace("\n", "")
    assert wrong_key.returncode == 1
    assert "(401). Nothing was stored." in wrong_key.stdout, wrong_key.stdout
    assert _stored_lines(platform.gateway, unknown) == []
    # 3 lines of 300.00: the two refused uploads added nothing
    stored = _stored_lines(platform.gateway, erp.partner_id)
    assert (len(stored), sum(Decimal(line["amount"]) for line in stored)) == (3, Decimal("900.00"))


def test_a_key_is_bound_only_to_a_partner_the_registry_holds(platform: Platform) -> None:
    erp = _partner_system(platform.gateway, "Keyed Portal GmbH")
    scopes = ["analytics:read"]

    unknown = platform.gateway.post(
        "/v1/admin/api-keys", json={"name": "portal", "scopes": scopes, "partner_id": str(uuid4())}
    )
    bound = platform.gateway.post(
        "/v1/admin/api-keys", json={"name": "portal", "scopes": scopes, "partner_id": erp.partner_id}
    )

    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["errors"][0]["loc"] == ["body", "partner_id"]
    assert bound.status_code == 201, bound.text
    own = httpx.get(
        f"{str(platform.gateway.base_url).rstrip('/')}/v1/sales/lines",
        params={"partner_id": erp.partner_id},
        headers={"Authorization": f"Bearer {bound.json()['key']}"},
        timeout=10.0,
    )
    assert own.status_code == 200, own.text


def test_analytics_killed_mid_stream_stores_every_sent_line_exactly_once(platform: Platform) -> None:
    erp = _partner_system(platform.gateway, "Killed Stream GmbH")
    messages = [(f"msg_b_{n}", _lines("B-", 25, first=n * 25)) for n in range(40)]
    answered: list[httpx.Response] = []
    failure: list[BaseException] = []

    def stream() -> None:
        deadline = time.monotonic() + 2 * WAIT_SECONDS
        try:
            with httpx.Client(base_url=str(platform.gateway.base_url), timeout=30.0) as client:
                for webhook_id, lines in messages:
                    answered.append(erp.deliver(client, webhook_id, sales_body(lines), deadline=deadline))
        except BaseException as exc:  # handed to the test's thread
            failure.append(exc)

    sender = threading.Thread(target=stream)
    sender.start()
    wait_for(lambda: len(answered) >= 10 or not sender.is_alive(), "a quarter of the stream delivered")
    platform.analytics.signal(signal.SIGKILL)
    platform.analytics.start()
    platform.analytics.wait_ready()
    sender.join(timeout=2 * WAIT_SECONDS)

    assert not failure, failure
    assert not sender.is_alive()
    assert len(answered) == 40
    assert erp.attempts_failed > 0  # the kill was in the middle of the stream: the sender had to retry
    assert {response.status_code for response in answered} == {200}
    sent = [line for _, lines in messages for line in lines]
    stored = _stored_lines(platform.gateway, erp.partner_id)
    assert len(stored) == len(sent) == 1000
    assert sorted(line["external_id"] for line in stored) == sorted(line["external_id"] for line in sent)
    sent_total = sum((Decimal(line["amount"]) for line in sent), Decimal(0))
    # the same sum by a second method: line n has (n % 7 + 1) units at 10 + n/100
    assert sent_total == sum(
        ((n % 7 + 1) * (Decimal(10) + Decimal(n) / 100) for n in range(1000)), Decimal(0)
    )
    assert sum((Decimal(line["amount"]) for line in stored), Decimal(0)) == sent_total

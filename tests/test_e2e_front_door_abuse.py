"""The front door under faked headers and misused keys, with real processes: the registry and the gateway
(started as deployed, `python -m gateway.serve`) each in its own process on fresh databases of the test
backend (PRM_TEST_DB: PostgreSQL in the PostgreSQL pass, SQLite otherwise).

Every request comes from 127.0.0.1, a local process, which is exactly what must not be able to speak for
other addresses through X-Forwarded-For.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from uuid import UUID, uuid4

import httpx
import pytest
from gateway.api_keys import service as api_keys
from gateway.api_keys.models import ApiKey
from gateway.main import MIGRATIONS_DIR as GATEWAY_MIGRATIONS
from partner_registry.main import MIGRATIONS_DIR as REGISTRY_MIGRATIONS
from prm_cli.e2e import GATEWAY_COMMAND, NOWHERE, Service, started
from prm_contracts.principal import ADMIN_SCOPE, INTERNAL_SCOPE, Principal
from prm_kit.clock import utc_now
from prm_kit.db.engine import make_engine, make_session_factory
from prm_kit.pagination import encode_cursor
from prm_kit.testing import (
    TEST_SECRET,
    drop_database,
    free_ports,
    fresh_database_url,
    internal_headers,
    migrate_fresh,
    run_blocking,
    served_on_fresh_database,
)
from sqlalchemy import update

pytestmark = pytest.mark.e2e

MADE_UP_KEY = "Bearer prm_abcdefgh_" + "A" * 41


class Keys(NamedTuple):
    admin: str
    admin_id: UUID
    partner_admin: str  # bound to a partner and holding `admin`: creating one is refused, so it is inserted
    reader: str
    reader_id: UUID


class FrontDoor(NamedTuple):
    registry: str
    gateway_database: str
    keys: Keys
    folder: Path


async def _stored_keys(database_url: str) -> Keys:
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            now = utc_now()
            admin_key, admin = await api_keys.create_key(session, name="admin", scopes=[ADMIN_SCOPE], now=now)
            bound, partner_admin = await api_keys.create_key(
                session, name="bound-admin", scopes=[ADMIN_SCOPE], now=now
            )
            # as a key made before binding a partner to an admin key was refused would be
            await session.execute(update(ApiKey).where(ApiKey.id == bound.id).values(partner_id=uuid4()))
            reader_key, reader = await api_keys.create_key(
                session, name="reader", scopes=["partners:read"], now=now
            )
            await session.commit()
    finally:
        await engine.dispose()
    return Keys(
        admin=admin,
        admin_id=admin_key.id,
        partner_admin=partner_admin,
        reader=reader,
        reader_id=reader_key.id,
    )


async def _revoke(database_url: str, key_id: UUID) -> None:
    """What `prm keys revoke` does: a write on the gateway's database, no gateway told."""
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            await api_keys.revoke_key(session, key_id, now=utc_now())
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def front_door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontDoor]:
    folder = tmp_path_factory.mktemp("front-door")
    gateway_database = fresh_database_url("gateway", folder)
    run_blocking(migrate_fresh(gateway_database, GATEWAY_MIGRATIONS))
    try:
        keys = run_blocking(_stored_keys(gateway_database))
        (dead,) = free_ports(1)  # scoring is not running: applications are stored with a pending screening
        with served_on_fresh_database(
            "registry",
            "partner_registry.main:create_app",
            REGISTRY_MIGRATIONS,
            folder,
            {"PRM_SCORING_URL": f"http://127.0.0.1:{dead}", "PYTHONUNBUFFERED": "1"},
        ) as registry:
            yield FrontDoor(registry, gateway_database, keys, folder)
    finally:
        run_blocking(drop_database(gateway_database))


@contextmanager
def gateway(front_door: FrontDoor, **settings: str) -> Iterator[httpx.Client]:
    """A gateway process of its own (limits start full), launched as `prm up` and the manifests do."""
    (port,) = free_ports(1)
    environment = {
        "PRM_INTERNAL_SECRET": TEST_SECRET,
        "PRM_GATEWAY_DATABASE_URL": front_door.gateway_database,
        "PRM_DATA_DIR": str(front_door.folder / "data"),
        "PRM_LOG_FORMAT": "console",
        "PYTHONUNBUFFERED": "1",  # each log line reaches the file as it is written
        "PRM_REGISTRY_URL": front_door.registry,
        **{f"PRM_{name}_URL": NOWHERE for name in ("SCORING", "INCENTIVES", "ANALYTICS")},
        **{f"PRM_{name.upper()}": value for name, value in settings.items()},
    }
    process = Service(
        "gateway", GATEWAY_COMMAND, environment, port, front_door.folder / f"gateway-{port}.log"
    )
    with started([process]), httpx.Client(base_url=process.url, timeout=10.0) as client:
        yield client


@pytest.fixture(scope="module")
def limited(front_door: FrontDoor) -> Iterator[httpx.Client]:
    """A gateway with small limits: the per-address ones are what the faked headers try to escape."""
    with gateway(
        front_door, public_applications_burst="3", rate_limit_burst="20", rate_limit_per_second="1"
    ) as client:
        yield client


@pytest.fixture(scope="module")
def plain(front_door: FrontDoor) -> Iterator[httpx.Client]:
    """A gateway with the default settings, except that verified keys stay cached for 30 s."""
    with gateway(front_door, key_cache_ttl_seconds="30") as client:
        yield client


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _application() -> dict[str, Any]:
    return {
        "company": {
            "legal_name": "Spoofing Networks GmbH",
            "partner_type": "reseller",
            "country": "DE",
            "registration_number": f"HRB {uuid4().int % 10**9}",
            "employee_count": 12,
            "annual_revenue": {"amount": "900000.00", "currency": "EUR"},
            "specialisations": {"product_lines": ["networking"], "industries": []},
        },
        "questionnaire": {"certified_engineers": 1},
    }


# --- X-Forwarded-For from a local process ------------------------------------------------------------------


def test_a_new_forwarded_for_on_each_application_does_not_escape_the_limit(limited: httpx.Client) -> None:
    answers = [
        limited.post("/v1/applications", json=_application(), headers={"X-Forwarded-For": f"203.0.113.{n}"})
        for n in range(1, 11)
    ]

    assert [a.status_code for a in answers] == [201] * 3 + [429] * 7, [a.text for a in answers]
    assert answers[-1].headers["content-type"] == "application/problem+json"
    assert int(answers[-1].headers["retry-after"]) >= 1
    # each answer told the applicant's address where it stood: 3 at once, then none left
    assert [a.headers["ratelimit-limit"] for a in answers] == ["3"] * 10
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0"] + ["0"] * 7


def test_made_up_keys_with_a_new_forwarded_for_each_are_limited_per_address(limited: httpx.Client) -> None:
    answers = [
        limited.get(
            "/v1/partners",
            headers={"Authorization": f"{MADE_UP_KEY}{n:02d}", "X-Forwarded-For": f"203.0.113.{n}"},
        )
        for n in range(40)
    ]

    statuses = [a.status_code for a in answers]
    assert set(statuses) == {401, 429}
    # a burst of 20 look-ups, then about one a second: far fewer than 40 reach the database
    assert statuses.count(401) <= 25, statuses
    assert statuses[-5:] == [429] * 5


def test_the_gateways_metrics_answer_a_direct_scrape_not_a_relayed_request(plain: httpx.Client) -> None:
    direct = plain.get("/metrics")
    relayed = plain.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})

    assert direct.status_code == 200
    assert relayed.status_code == 403  # it came through a proxy, so it says: not a scrape from this machine


# --- two Authorization headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/partners"), ("GET", "/v1/tiers"), ("GET", "/v1/admin/api-keys"), ("GET", "/v1/status")],
)
def test_two_authorization_headers_are_a_400_whichever_comes_first(
    front_door: FrontDoor, plain: httpx.Client, method: str, path: str
) -> None:
    admin = f"Bearer {front_door.keys.admin}"
    answers = [
        plain.request(method, path, headers=[("Authorization", first), ("Authorization", second)])
        for first, second in ((admin, "Bearer bad"), ("Bearer bad", admin))
    ]
    alone = plain.request(method, path, headers={"Authorization": admin})

    assert [a.status_code for a in answers] == [400, 400], [a.text for a in answers]
    assert all(a.headers["content-type"] == "application/problem+json" for a in answers)
    assert alone.status_code == 200, alone.text


# --- a partner-bound key holding admin ---------------------------------------------------------------------

VENDOR_WIDE = [
    ("POST", "/v1/deal-registrations/expiry-sweeps"),
    ("POST", "/v1/agreements/expiry-sweeps"),
    ("GET", "/v1/admin/api-keys"),
    ("POST", "/v1/admin/api-keys"),
    ("POST", "/v1/admin/api-keys/{key_id}/revoke"),
]


def test_a_partner_bound_key_with_admin_runs_no_vendor_wide_operation(
    front_door: FrontDoor, plain: httpx.Client
) -> None:
    keys = front_door.keys
    body = {"name": "escalated", "scopes": [ADMIN_SCOPE]}
    bound = {
        (method, path): plain.request(
            method, path.format(key_id=keys.admin_id), headers=_bearer(keys.partner_admin), json=body
        )
        for method, path in VENDOR_WIDE
    }
    # the same operations are open to an admin of the vendor (revoking an unknown key: it is real)
    vendor = {
        (method, path): plain.request(
            method, path.format(key_id=uuid4()), headers=_bearer(keys.admin), json=body
        ).status_code
        for method, path in VENDOR_WIDE
    }

    assert {op: answer.status_code for op, answer in bound.items()} == dict.fromkeys(VENDOR_WIDE, 403), {
        op: answer.text for op, answer in bound.items()
    }
    assert all(a.headers["content-type"] == "application/problem+json" for a in bound.values())
    assert vendor == {
        ("POST", "/v1/deal-registrations/expiry-sweeps"): 200,
        ("POST", "/v1/agreements/expiry-sweeps"): 200,
        ("GET", "/v1/admin/api-keys"): 200,
        ("POST", "/v1/admin/api-keys"): 201,
        ("POST", "/v1/admin/api-keys/{key_id}/revoke"): 404,  # an unknown id: the operation itself ran
    }


# --- revocation written straight to the database -----------------------------------------------------------


def test_a_key_revoked_in_the_database_stops_at_once_not_when_the_cache_expires(
    front_door: FrontDoor, plain: httpx.Client
) -> None:
    keys = front_door.keys
    assert plain.get("/v1/partners", headers=_bearer(keys.reader)).status_code == 200  # cached for 30 s

    run_blocking(_revoke(front_door.gateway_database, keys.reader_id))
    time.sleep(1.2)  # key_revocation_check_seconds (1 s)
    answer = plain.get("/v1/partners", headers=_bearer(keys.reader))

    assert answer.status_code == 401, answer.text


# --- /metrics of a service ---------------------------------------------------------------------------------


def test_a_services_metrics_answer_loopback_and_service_credentials_only(front_door: FrontDoor) -> None:
    scraper = internal_headers(Principal(subject="service:prometheus", scopes=frozenset({INTERNAL_SCOPE})))
    with httpx.Client(base_url=front_door.registry, timeout=10.0) as client:
        direct = client.get("/metrics")
        relayed = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        credential = client.get("/metrics", headers={**scraper, "X-Forwarded-For": "203.0.113.9"})
        admin_credential = client.get(
            "/metrics", headers={**internal_headers(), "X-Forwarded-For": "203.0.113.9"}
        )

    assert direct.status_code == 200
    assert 'service="registry"' in direct.text
    assert relayed.status_code == 403
    assert credential.status_code == 200
    assert admin_credential.status_code == 403


# --- anonymous idempotency, client-made 500s, control characters in logs ----------------------------------


def test_two_applicants_with_one_idempotency_key_do_not_share_an_answer(plain: httpx.Client) -> None:
    body = _application()
    key = {"Idempotency-Key": "the-key-two-applicants-both-chose"}

    first = plain.post("/v1/applications", json=body, headers=key)
    second = plain.post("/v1/applications", json=body, headers=key)

    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in second.headers
    # not the first applicant's stored answer: the request ran, and met the registration number now taken
    assert second.status_code == 409, second.text


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (
            "/v1/partners",
            {
                "sort": "created_at",
                "cursor": encode_cursor(
                    {"order": "created_at", "key": "2026-01-01T00:00:00", "id": str(UUID(int=1))}
                ),
            },
        ),
        ("/v1/conflict-cases/statistics", {"from": "2000-01-01", "to": "9999-12-31"}),
    ],
)
def test_what_used_to_be_a_server_error_is_a_422(
    front_door: FrontDoor, plain: httpx.Client, path: str, params: dict[str, str]
) -> None:
    answer = plain.get(path, params=params, headers=_bearer(front_door.keys.admin))

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


def test_control_characters_in_a_path_reach_no_log_raw(front_door: FrontDoor, plain: httpx.Client) -> None:
    hostile = "/v1/partners/%1b%5b31mred%1b%5b0m%08%07"

    answer = plain.get(hostile, headers=_bearer(front_door.keys.admin))

    assert answer.status_code in {404, 422}
    time.sleep(0.5)  # the access lines are written after the answer
    logs = [front_door.folder / "registry.log", *front_door.folder.glob("gateway-*.log")]
    text = b"".join(log.read_bytes() for log in logs)
    assert b"31mred" in text  # the request was logged ...
    for raw in (b"\x1b", b"\x08", b"\x07"):
        assert raw not in text  # ... with its control characters escaped


# --- HEAD --------------------------------------------------------------------------------------------------

_AS_THE_GET = ("content-type", "content-length", "etag", "x-request-id", "ratelimit-limit")


def test_a_head_answers_what_the_get_would_without_its_body(
    front_door: FrontDoor, plain: httpx.Client
) -> None:
    admin = _bearer(front_door.keys.admin)
    created = plain.post(
        "/v1/partners",
        json={"legal_name": "Headway Systems AB", "partner_type": "reseller", "country": "SE"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    partner = f"/v1/partners/{created.json()['id']}"
    answers = {}
    for path, headers in ((partner, admin), ("/healthz", {}), ("/openapi.json", {})):
        same_id = {**headers, "X-Request-ID": "e2e-head"}
        answers[path] = (plain.get(path, headers=same_id), plain.head(path, headers=same_id))
    no_get = plain.head("/v1/deal-registrations/expiry-sweeps", headers=admin)

    for path, (got, head) in answers.items():
        assert (head.status_code, head.content) == (200, b""), path
        assert {name: head.headers.get(name) for name in _AS_THE_GET} == {
            name: got.headers.get(name) for name in _AS_THE_GET
        }, path
        assert head.headers["content-length"] == str(len(got.content)), path
    assert answers[partner][1].headers["etag"] == created.headers["etag"]
    assert (no_get.status_code, no_get.headers["content-type"], no_get.content) == (
        405,
        "application/problem+json",
        b"",
    )
    assert no_get.headers["allow"] == "POST"


# --- a misspelt filter --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "misspelt"),
    [("/v1/partners", "stauts"), ("/v1/admin/api-keys", "revoked")],  # a service's and the gateway's own
)
def test_a_misspelt_filter_is_a_422_not_the_unfiltered_list(
    front_door: FrontDoor, plain: httpx.Client, path: str, misspelt: str
) -> None:
    admin = _bearer(front_door.keys.admin)

    refused = plain.get(path, params={misspelt: "active"}, headers=admin)
    listed = plain.get(path, params={"limit": "5"}, headers=admin)

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["errors"] == [
        {"loc": ["query", misspelt], "msg": problem["detail"], "type": "unknown_query_parameter"}
    ]
    assert "limit" in problem["detail"]
    assert listed.status_code == 200, listed.text

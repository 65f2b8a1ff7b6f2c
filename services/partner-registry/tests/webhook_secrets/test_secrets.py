"""Partners' webhook signing secrets: issued once in plain text, rotated with an overlap, revoked, and handed
to analytics (only) through the internal endpoint and `RegistryClient.webhook_secrets`."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from fastapi import FastAPI
from partner_registry.config import Settings
from partner_registry.models import PartnerWebhookSecret
from partner_registry.webhook_secrets.crypto import SecretBox, fingerprint, new_secret
from prm_contracts.clients.registry import RegistryClient
from prm_contracts.principal import ADMIN_SCOPE, INTERNAL_SCOPE, Principal
from prm_contracts.problem import AppError, NotFound
from prm_kit.testing import internal_headers
from pydantic import SecretStr, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from ..factories import ANALYST, a_partner, moved_to, outbox_payloads, partner_user, signed_as, stored_counts
from ..fakes import Clock

ANALYTICS = Principal(subject="service:analytics", scopes=frozenset({INTERNAL_SCOPE}))
ADMIN_KEY = Principal(subject="key:root", scopes=frozenset({ADMIN_SCOPE}))
T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)

# --- secrets on their own ----------------------------------------------------------------------------------


def test_a_secret_is_whsec_and_the_base64_of_32_random_bytes() -> None:
    secret = new_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert new_secret() != secret


def test_a_secret_signs_and_verifies_standard_webhooks() -> None:
    secret = new_secret()
    payload = '{"type":"sales.reported"}'
    sent_at = datetime.now(UTC)
    signature = Webhook(secret).sign("msg_1", sent_at, payload)

    verified = Webhook(secret).verify(
        payload,
        {
            "webhook-id": "msg_1",
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        },
    )

    assert verified == {"type": "sales.reported"}


def test_secrets_are_encrypted_and_only_the_same_key_reads_them() -> None:
    secret = new_secret()
    box = SecretBox("k" * 32)

    ciphertext = box.encrypt(secret)

    assert secret not in ciphertext
    assert secret.removeprefix("whsec_") not in ciphertext
    assert box.decrypt(ciphertext) == secret
    with pytest.raises(AppError, match="cannot be decrypted"):
        SecretBox("another key material of enough length").decrypt(ciphertext)
    assert len(fingerprint(secret)) == 12
    assert fingerprint(secret) == fingerprint(secret) != fingerprint(new_secret())


def test_the_first_of_several_keys_encrypts_and_every_one_decrypts() -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    secret = new_secret()
    under_old = SecretBox(fernet_keys=[old_key]).encrypt(secret)

    rotated = SecretBox("k" * 32, fernet_keys=[new_key, old_key])
    under_new = rotated.encrypt(secret)

    assert rotated.decrypt(under_old) == secret
    assert Fernet(new_key.encode()).decrypt(under_new.encode()).decode() == secret  # the first key alone
    with pytest.raises(AppError, match="cannot be decrypted"):
        SecretBox(fernet_keys=[new_key]).decrypt(under_old)


def test_webhook_secret_keys_must_be_fernet_keys() -> None:
    with pytest.raises(ValidationError, match="key 2 is not a Fernet key"):
        Settings(internal_secret="s" * 32, webhook_secret_keys=f"{Fernet.generate_key().decode()},not-a-key")

    keys = [Fernet.generate_key().decode() for _ in range(2)]
    settings = Settings(internal_secret="s" * 32, webhook_secret_keys=" , ".join(keys))

    assert [key.get_secret_value() for key in settings.webhook_secret_keys] == keys
    assert keys[0] not in repr(settings)


# --- through the API ---------------------------------------------------------------------------------------

asyncio_test = pytest.mark.asyncio


def _secrets(partner: dict[str, Any]) -> str:
    return f"/v1/partners/{partner['id']}/webhook-secrets"


def _internal(partner: dict[str, Any]) -> str:
    return f"/internal/partners/{partner['id']}/webhook-secrets"


async def _issue(client: httpx.AsyncClient, partner: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = await client.post(_secrets(partner), headers=headers)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


async def _valid(client: httpx.AsyncClient, partner: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(_internal(partner), headers=internal_headers(ANALYTICS))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    valid: dict[str, Any] = response.json()
    return valid


@asyncio_test
async def test_a_secret_is_issued_shown_once_and_stored_encrypted(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    partner = await a_partner(client)
    clock.set(T0)

    response = await client.post(_secrets(partner))

    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    issued = response.json()
    assert issued["secret"].startswith("whsec_")
    assert len(base64.b64decode(issued["secret"].removeprefix("whsec_"))) >= 24
    assert issued["fingerprint"] == fingerprint(issued["secret"])
    assert issued["created_at"] == "2026-07-01T09:00:00Z"
    assert issued["expires_at"] is None
    assert issued["previous_secrets_expire_at"] is None

    listed = (await client.get(_secrets(partner))).json()
    assert listed["items"] == [
        {k: v for k, v in issued.items() if k not in {"secret", "previous_secrets_expire_at"}}
    ]
    assert issued["secret"] not in (await client.get(_secrets(partner))).text
    stored = (await db.scalars(sa.select(PartnerWebhookSecret))).one()
    assert issued["secret"] not in stored.ciphertext
    [event] = await outbox_payloads(db, "partner.webhook_secrets_changed")
    assert event["data"] == {
        "partner_id": partner["id"],
        "valid_secret_ids": [issued["id"]],
        "changed_at": "2026-07-01T09:00:00Z",
    }
    assert issued["secret"] not in str(event)


@asyncio_test
async def test_after_a_rotation_both_secrets_are_valid_for_the_overlap_then_only_the_new_one(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    partner = await a_partner(client)
    clock.set(T0)
    old = await _issue(client, partner)
    rotated_at = clock.advance(days=30)

    new = await _issue(client, partner)

    overlap_end = rotated_at + timedelta(hours=24)
    assert new["previous_secrets_expire_at"] == overlap_end.isoformat().replace("+00:00", "Z")
    clock.set(rotated_at + timedelta(hours=23, minutes=59))
    during = await _valid(client, partner)
    assert [(s["id"], s["secret"]) for s in during["secrets"]] == [
        (new["id"], new["secret"]),
        (old["id"], old["secret"]),
    ]
    assert during["secrets"][1]["valid_until"] == new["previous_secrets_expire_at"]
    assert during["secrets"][0]["valid_until"] is None
    assert during["secrets"][1]["valid_from"] == "2026-07-01T09:00:00Z"

    clock.set(overlap_end)
    after = await _valid(client, partner)
    assert [s["id"] for s in after["secrets"]] == [new["id"]]
    listed = (await client.get(_secrets(partner))).json()["items"]
    assert [(s["id"], s["expires_at"]) for s in listed] == [
        (new["id"], None),
        (old["id"], new["previous_secrets_expire_at"]),
    ]
    assert "secret" not in listed[0]


@asyncio_test
async def test_a_second_rotation_within_the_overlap_does_not_extend_the_oldest(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    partner = await a_partner(client)
    clock.set(T0)
    first = await _issue(client, partner)
    clock.advance(hours=1)
    second = await _issue(client, partner)
    clock.advance(hours=1)
    third = await _issue(client, partner)

    # the first expires 24 h after the first rotation (T0 + 1 h + 24 h), not after the second
    listed = {s["id"]: s["expires_at"] for s in (await client.get(_secrets(partner))).json()["items"]}
    assert listed[first["id"]] == "2026-07-02T10:00:00Z"
    assert listed[second["id"]] == "2026-07-02T11:00:00Z"
    assert listed[third["id"]] is None
    assert third["previous_secrets_expire_at"] == "2026-07-02T11:00:00Z"


@asyncio_test
async def test_the_overlap_comes_from_the_settings(
    app: FastAPI, client: httpx.AsyncClient, clock: Clock
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"webhook_secret_overlap_hours": 2})
    partner = await a_partner(client)
    clock.set(T0)
    await _issue(client, partner)

    new = await _issue(client, partner)

    assert new["previous_secrets_expire_at"] == "2026-07-01T11:00:00Z"


@asyncio_test
async def test_secrets_stored_before_keys_were_set_or_rotated_stay_readable(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    settings = app.state.settings
    before = await _issue(client, partner)  # encrypted under the key derived from the internal secret
    first_key, second_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    app.state.settings = settings.model_copy(update={"webhook_secret_keys": [SecretStr(first_key)]})
    with_first = await _issue(client, partner)
    app.state.settings = settings.model_copy(
        update={"webhook_secret_keys": [SecretStr(second_key), SecretStr(first_key)]}
    )
    with_second = await _issue(client, partner)

    valid = {item["id"]: item["secret"] for item in (await _valid(client, partner))["secrets"]}
    assert valid == {issued["id"]: issued["secret"] for issued in (before, with_first, with_second)}
    stored = {
        str(row.id): row.ciphertext for row in (await db.scalars(sa.select(PartnerWebhookSecret))).all()
    }
    # each was encrypted by the first key of its day: the newest by the second key alone
    assert (
        Fernet(second_key.encode()).decrypt(stored[with_second["id"]].encode()).decode()
        == with_second["secret"]
    )
    assert (
        Fernet(first_key.encode()).decrypt(stored[with_first["id"]].encode()).decode() == with_first["secret"]
    )
    with pytest.raises(InvalidToken):
        Fernet(first_key.encode()).decrypt(stored[before["id"]].encode())


@asyncio_test
async def test_a_revoked_secret_stops_being_valid_at_once(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    partner = await a_partner(client)
    clock.set(T0)
    old = await _issue(client, partner)
    new = await _issue(client, partner)
    clock.advance(minutes=5)

    response = await client.delete(f"{_secrets(partner)}/{old['id']}")

    assert response.status_code == 204
    assert [s["id"] for s in (await _valid(client, partner))["secrets"]] == [new["id"]]
    listed = {s["id"]: s for s in (await client.get(_secrets(partner))).json()["items"]}
    assert listed[old["id"]]["revoked_at"] == listed[old["id"]]["expires_at"] == "2026-07-01T09:05:00Z"
    counts = await stored_counts(db)
    assert (await client.delete(f"{_secrets(partner)}/{old['id']}")).status_code == 204
    assert await stored_counts(db) == counts
    assert (await client.delete(f"{_secrets(partner)}/{uuid.uuid4()}")).status_code == 404


@asyncio_test
async def test_a_partner_manages_its_own_secrets_only(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    own = signed_as(partner_user(partner))

    issued = await _issue(client, partner, **own)
    listed = await client.get(_secrets(partner), headers=own)
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["items"]] == [issued["id"]]
    theirs = await _issue(client, other)
    before = await stored_counts(db)

    refused = [
        await client.post(_secrets(other), headers=own),
        await client.get(_secrets(other), headers=own),
        await client.delete(f"{_secrets(other)}/{theirs['id']}", headers=own),
        await client.post(_secrets(partner), headers=signed_as(ANALYST)),
    ]

    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert await stored_counts(db) == before


@asyncio_test
async def test_only_services_read_the_secrets_themselves(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    await _issue(client, partner)

    for principal in (ADMIN_KEY, partner_user(partner), ANALYST):
        response = await client.get(_internal(partner), headers=internal_headers(principal))
        assert response.status_code == 403, principal
        assert "whsec_" not in response.text
    assert (
        await client.get(_internal({"id": str(uuid.uuid4())}), headers=internal_headers(ANALYTICS))
    ).status_code == 404


@asyncio_test
async def test_the_internal_endpoint_is_not_in_the_public_spec(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()

    assert not any(path.startswith("/internal") for path in spec["paths"])
    assert "/v1/partners/{partner_id}/webhook-secrets" in spec["paths"]


@asyncio_test
async def test_a_terminated_partner_gets_no_new_secret(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await moved_to(client, await a_partner(client), "terminated")
    before = await stored_counts(db)

    response = await client.post(_secrets(partner))

    assert response.status_code == 409
    assert await stored_counts(db) == before


@asyncio_test
async def test_a_partner_without_secrets_has_none_valid(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)

    assert (await _valid(client, partner)) == {"partner_id": partner["id"], "secrets": []}


@asyncio_test
async def test_analytics_reads_the_secrets_through_the_typed_client(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    partner = await a_partner(client)
    issued = await _issue(client, partner)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://registry", headers=internal_headers(ANALYTICS)
    ) as http:
        registry = RegistryClient(http)

        secrets = await registry.webhook_secrets(uuid.UUID(partner["id"]))
        with pytest.raises(NotFound):
            await registry.webhook_secrets(uuid.uuid4())

    assert secrets.partner_id == uuid.UUID(partner["id"])
    [secret] = secrets.secrets
    assert (str(secret.id), secret.secret, secret.valid_until) == (issued["id"], issued["secret"], None)

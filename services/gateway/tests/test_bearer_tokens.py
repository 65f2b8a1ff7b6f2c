"""Bearer JWTs of a configured identity provider, beside API keys: what is accepted, and as whom."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gateway.config import Settings
from pydantic import ValidationError

from .fakes import free_port

ISSUER = "https://login.example.com/"
AUDIENCE = "prm-api"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNER = _rsa_key()
STRANGER = _rsa_key()
PUBLIC_PEM = (
    SIGNER.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def token(
    key: Any = SIGNER, algorithm: str = "RS256", headers: dict[str, Any] | None = None, **claims: Any
) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "iat": now, "exp": now + 600} | claims
    return jwt.encode(
        {k: v for k, v in body.items() if v is not None}, key, algorithm=algorithm, headers=headers
    )


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@pytest.mark.asyncio
async def test_a_token_of_the_issuer_calls_with_its_known_scopes_and_partner(gateway_with: Any) -> None:
    partner = uuid.uuid4()
    async with gateway_with(jwt_issuer=ISSUER, jwt_public_key=PUBLIC_PEM) as gw:
        plain = await gw.client.get(
            "/v1/partners", headers=bearer(token(scope="partners:read deal-registrations:write made:up"))
        )
        bound = await gw.client.get(
            "/v1/partners",
            headers=bearer(token(sub="user-2", scp=["partners:read"], prm_partner_id=str(partner))),
        )
        key = await gw.key("admin")
        with_key = await gw.client.get("/v1/partners", headers=gw.bearer(key))

    assert plain.status_code == 200, plain.text
    assert plain.json()["principal"] == {
        "subject": "jwt:user-1",
        "scopes": sorted(["partners:read", "deal-registrations:write"]),
        "partner_id": None,
    }
    assert bound.json()["principal"]["partner_id"] == str(partner)
    assert with_key.status_code == 200  # API keys keep working beside tokens


@pytest.mark.asyncio
async def test_a_token_without_the_scope_is_403(gateway_with: Any) -> None:
    async with gateway_with(jwt_issuer=ISSUER, jwt_public_key=PUBLIC_PEM) as gw:
        answer = await gw.client.post("/v1/partners", json={}, headers=bearer(token(scope="partners:read")))

    assert answer.status_code == 403


def _forged_with_the_public_key_as_hmac_secret() -> str:
    # the classic algorithm confusion: HS256 "signed" with the public key; PyJWT refuses such keys for HMAC,
    # so build the token by hand
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "exp": now + 600, "scope": "admin"}
    payload = jwt.utils.base64url_encode(json.dumps(claims).encode())
    signature = hmac.new(PUBLIC_PEM.encode(), header + b"." + payload, hashlib.sha256).digest()
    return (header + b"." + payload + b"." + jwt.utils.base64url_encode(signature)).decode()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "credential",
    [
        pytest.param(lambda: token(exp=int(time.time()) - 3600), id="expired"),
        pytest.param(lambda: token(aud="another-api"), id="another audience"),
        pytest.param(lambda: token(iss="https://evil.example/"), id="another issuer"),
        pytest.param(lambda: token(key=STRANGER), id="signed by another key"),
        pytest.param(lambda: token(sub=None), id="no subject"),
        pytest.param(lambda: token(exp=None), id="no expiry"),
        pytest.param(lambda: token(prm_partner_id="acme"), id="bound to no partner id"),
        pytest.param(_forged_with_the_public_key_as_hmac_secret, id="HS256 with the public key"),
        pytest.param(lambda: token(key=None, algorithm="none"), id="unsigned (alg none)"),
        pytest.param(lambda: token()[:-4] + "AAAA", id="tampered signature"),
    ],
)
async def test_invalid_tokens_are_401(gateway_with: Any, credential: Any) -> None:
    async with gateway_with(jwt_issuer=ISSUER, jwt_public_key=PUBLIC_PEM) as gw:
        answer = await gw.client.get("/v1/partners", headers=bearer(credential()))

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.asyncio
async def test_without_an_issuer_tokens_are_not_accepted(gateway_with: Any) -> None:
    async with gateway_with() as gw:
        answer = await gw.client.get("/v1/partners", headers=bearer(token(scope="partners:read")))

    assert answer.status_code == 401


class _Jwks:
    """The identity provider's JWKS endpoint, on a real socket (PyJWKClient fetches with urllib)."""

    def __init__(self) -> None:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNER.public_key()))
        self.document = {"keys": [jwk | {"kid": "key-1", "use": "sig", "alg": "RS256"}]}
        self.fetches = 0
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.fetches += 1
                body = json.dumps(jwks.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"


@pytest.fixture
def jwks() -> Iterator[_Jwks]:
    provider = _Jwks()
    thread = Thread(target=provider.server.serve_forever, daemon=True)
    thread.start()
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


@pytest.mark.asyncio
async def test_keys_are_fetched_from_the_issuers_jwks_and_cached(gateway_with: Any, jwks: _Jwks) -> None:
    async with gateway_with(jwt_issuer=ISSUER, jwt_jwks_url=jwks.url) as gw:
        answers = [
            await gw.client.get(
                "/v1/partners", headers=bearer(token(headers={"kid": "key-1"}, scope="partners:read", n=n))
            )
            for n in range(3)
        ]
        unknown_kid = await gw.client.get("/v1/partners", headers=bearer(token(headers={"kid": "key-9"})))

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert jwks.fetches <= 2  # the key set is cached; an unknown kid may refresh it once
    assert unknown_kid.status_code == 401


@pytest.mark.asyncio
async def test_an_unreachable_jwks_is_503_not_a_refusal(gateway_with: Any, dead_url: str) -> None:
    async with gateway_with(jwt_issuer=ISSUER, jwt_jwks_url=f"{dead_url}/jwks.json") as gw:
        answer = await gw.client.get("/v1/partners", headers=bearer(token(headers={"kid": "key-1"})))

    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"


@pytest.mark.parametrize(
    "settings",
    [
        {"jwt_issuer": ISSUER},  # no key source
        {"jwt_issuer": ISSUER, "jwt_public_key": PUBLIC_PEM, "jwt_jwks_url": "http://idp/jwks"},
        {"jwt_issuer": ISSUER, "jwt_public_key": PUBLIC_PEM, "jwt_algorithms": "HS256"},
    ],
)
def test_a_half_configured_issuer_stops_the_gateway_at_start(
    settings: dict[str, Any], make_settings: Any
) -> None:
    with pytest.raises(ValidationError):
        make_settings(**settings)
    assert isinstance(make_settings(), Settings)

"""Settings of the gateway (`PRM_*` environment variables), checked when the process starts."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from prm_kit.networks import checked_networks
from prm_kit.settings import BaseServiceSettings, CommaSeparated, database_url_field
from pydantic import Field, SecretStr, field_validator, model_validator

from gateway.api_keys.key_format import KEY_FORMAT_DESCRIPTION, parse_key

MIB = 1024 * 1024
# In the repository, where `prm openapi` writes it; an installed gateway is given the path instead.
COMMITTED_OPENAPI_DOCUMENT = Path(__file__).resolve().parents[4] / "openapi" / "prm.json"


class Settings(BaseServiceSettings):
    service_name: ClassVar[str] = "gateway"

    database_url: str | None = database_url_field("GATEWAY")
    bootstrap_admin_key: SecretStr | None = Field(
        default=None,
        description="An admin API key created at start-up if absent (idempotent), so a deployment has a "
        f"first key without a shell. Must be a full key: {KEY_FORMAT_DESCRIPTION}.",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis:// URL. When set, rate limits are shared by every gateway replica through Redis; "
        "otherwise each process limits on its own.",
    )
    redis_key_prefix: str = Field(
        default="prm:rate:",
        pattern=r"^[A-Za-z0-9:_.-]{1,64}$",
        description="The start of every rate-limit key in Redis: give each deployment sharing one Redis its "
        "own (say `prm-staging:rate:`), so that their limits stay apart.",
    )
    rate_limit_per_second: float = Field(default=50.0, gt=0, le=100_000)
    rate_limit_burst: int = Field(default=100, ge=1, le=1_000_000)
    public_applications_per_hour: float = Field(
        default=20.0,
        gt=0,
        le=1_000_000,
        description="Partner applications a client address may submit per hour without an API key "
        "(the public form; a burst of public_applications_burst first).",
    )
    public_applications_burst: int = Field(default=5, ge=1, le=10_000)
    max_body_bytes: int = Field(default=5 * MIB, ge=0, le=1024 * MIB)
    max_import_body_bytes: int = Field(
        default=2048 * MIB,
        ge=0,
        le=1024 * 1024 * MIB,
        description="Largest body of a file import (`POST …/imports`, e.g. `/v1/sales/imports`), which is "
        "streamed to the service as it arrives instead of read whole; each piece must come within "
        "request_body_timeout_seconds of the one before.",
    )
    cors_origins: CommaSeparated = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (JSON list or comma-separated); empty: no CORS.",
    )
    upstream_connect_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    upstream_read_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="Longest silence from a service while awaiting its answer."
    )
    upstream_pool_size: int = Field(default=256, ge=1, le=10_000)
    upstream_keepalive_seconds: float = Field(
        default=4.0,
        gt=0,
        le=300,
        description="Idle pooled connections are closed after this; keep it below the services' own "
        "keep-alive timeout (uvicorn: 5 s) so the gateway never reuses a connection being closed.",
    )
    openapi_document: Path = Field(
        default=COMMITTED_OPENAPI_DOCUMENT,
        description="The merged OpenAPI document `prm openapi` writes, served at /openapi.json; read once "
        "at start, which fails when the file is missing or not JSON.",
    )
    key_cache_ttl_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="How long a verified key is trusted without asking the database for it again. "
        "Revocations are noticed sooner: see key_revocation_check_seconds.",
    )

    # slow clients and overload
    request_head_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="A request's line and headers must arrive within this of its first byte (of the "
        "connection, for its first request); otherwise the connection is closed (408 if anything came). "
        "Enforced by the gateway's launcher, `python -m gateway.serve`.",
    )
    request_body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="A request's whole body must arrive within this of its headers: a proxied request is "
        "then answered 408 before any service is called; the launcher closes the connection 2 s later. A "
        "file import (`POST …/imports`, streamed) gets this between two pieces of its body instead.",
    )
    max_request_head_bytes: int = Field(
        default=32_768,
        ge=4_096,
        le=1_048_576,
        description="A request's line and headers may take this many bytes; more is answered 431 and the "
        "connection closed before they are all read. Enforced by the gateway's launcher, "
        "`python -m gateway.serve` (with `--http h11`, h11's own 16 KiB cap comes first).",
    )
    max_connections: int = Field(
        default=10_000,
        ge=16,
        le=1_000_000,
        description="Open client connections per process; more are closed at once, and requests beyond "
        "it are answered 503 (a backstop for file descriptors, capped below the process's own limit).",
    )
    client_keepalive_seconds: int = Field(
        default=5,
        ge=1,
        le=600,
        description="An idle client connection is closed after this; behind a load balancer keep it above "
        "the balancer's idle timeout.",
    )
    upstream_pool_wait_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="Longest wait for a free pooled connection to a service (plus the connect timeout "
        "when a new one is opened); then 503 with Retry-After.",
    )
    upstream_max_in_flight: int = Field(
        default=64,
        ge=0,
        le=100_000,
        description="Requests in flight to one service at once; past it a request waits in a queue as long "
        "as this at most, for upstream_queue_wait_seconds, else is answered 503 with Retry-After at once "
        "(load shedding). 0: no bound.",
    )
    upstream_queue_wait_seconds: float = Field(
        default=0.5,
        ge=0,
        le=60,
        description="Longest wait for a slot under upstream_max_in_flight before the 503.",
    )

    jwt_issuer: str | None = Field(
        default=None,
        description="Accept bearer JWTs (access tokens) from this issuer (`iss`) beside API keys; unset: keys only.",
    )
    jwt_audience: str = Field(default="prm-api", description="The `aud` the tokens must carry.")
    jwt_jwks_url: str | None = Field(
        default=None, description="Where the issuer publishes its signing keys (JWKS); fetched and cached."
    )
    jwt_public_key: str | None = Field(
        default=None,
        description="Or one fixed PEM public key to verify the tokens with (instead of a JWKS URL).",
    )
    jwt_algorithms: CommaSeparated = Field(
        default_factory=lambda: ["RS256", "ES256"],
        description="Signature algorithms accepted (comma-separated).",
    )
    jwt_partner_claim: str = Field(
        default="prm_partner_id", description="The claim binding a token to one partner (a partner id)."
    )

    # trust
    trusted_proxies: CommaSeparated = Field(
        default_factory=list,
        description="Addresses or CIDR networks of the proxies in front of the gateway (comma-separated). "
        "Only a request whose socket peer is one of them has its X-Forwarded-For read: the client is then "
        "the right-most address of the chain that is not a trusted proxy. Empty: the socket peer is the "
        "client, and X-Forwarded-For is never believed.",
    )
    key_revocation_check_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often each gateway process asks the key store which keys were revoked lately, "
        "so a revocation made elsewhere (another replica, `prm keys revoke`) stops cached keys within "
        "this time.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return checked_networks(value, "trusted_proxies (PRM_TRUSTED_PROXIES)")

    @field_validator("jwt_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        # a symmetric algorithm would let anyone holding the verification key mint tokens
        allowed = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
        refused = [name for name in value if name not in allowed]
        if refused or not value:
            raise ValueError(f"jwt_algorithms must be some of {', '.join(sorted(allowed))}; got {value}")
        return value

    @model_validator(mode="after")
    def _one_key_source(self) -> Settings:
        if self.jwt_issuer and (self.jwt_jwks_url is None) == (self.jwt_public_key is None):
            raise ValueError(
                "with jwt_issuer (PRM_JWT_ISSUER) set exactly one of PRM_JWT_JWKS_URL, PRM_JWT_PUBLIC_KEY"
            )
        return self

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _key_format(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and parse_key(value.get_secret_value()) is None:
            raise ValueError(
                f"bootstrap_admin_key (PRM_BOOTSTRAP_ADMIN_KEY) must be {KEY_FORMAT_DESCRIPTION}"
            )
        return value

"""`Idempotency-Key` on creating POSTs: a retried request gets the first answer, not a second resource.

The first successful answer to a request carrying a key is stored (status, headers, body) in the service's
own `idempotency_record` table, in the same transaction as the change it answers: if the change fails,
nothing is stored and a retry with the same key runs afresh. A later request with the same key, from the
same principal to the same operation, gets the stored answer back (with `Idempotent-Replayed: true`) when its
body is the same, and a 422 problem `idempotency-key-reused` when it differs.

Keys are kept `DEFAULT_RETENTION` (24 hours); an older record is forgotten when its key comes again, and
the service's housekeeping (`prm_kit.housekeeping`) deletes it. Two concurrent requests with one key: the
second one's insert meets the first one's row and the request fails with 409 as a whole; its retry gets the
replay.

A request whose key has a stored answer never reaches its endpoint: the `IdempotencyDep` dependency finds the
answer and raises `IdempotentReplay`, which the kit's handler sends back as it was stored. So a router only
says how to answer the first time:

    async def create_thing(body: ThingIn, session: SessionDep, idempotency: IdempotencyDep) -> Response:
        thing = await service.create_thing(session, body)
        return await created(session, idempotency, thing_out(thing), location=f"/v1/things/{thing.id}",
                             version=thing.version)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Header, Request, Response
from prm_contracts.problem import UnprocessableContent, ValidationIssue
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from prm_kit.clock import utc_now
from prm_kit.db.session import SessionDep
from prm_kit.db.types import JSONDocument, UTCDateTime
from prm_kit.etag import etag_headers
from prm_kit.internal_auth import PrincipalDep

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
DEFAULT_RETENTION = timedelta(hours=24)
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # visible ASCII, as a client's UUID or ULID would be

metadata = sa.MetaData()

idempotency_record = sa.Table(
    "idempotency_record",
    metadata,
    sa.Column("subject", sa.String(200), primary_key=True),
    sa.Column("operation", sa.String(100), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("request_fingerprint", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer(), nullable=False),
    sa.Column("response_headers", JSONDocument, nullable=False),
    sa.Column("response_body", sa.Text(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Index("ix_idempotency_record_created_at", "created_at"),
)


def create_idempotency_table_v1(op: Any) -> None:
    """Used by a service's migration. Frozen: later changes to this table get new migrations."""
    op.create_table(
        "idempotency_record",
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("operation", sa.String(100), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_headers", JSONDocument, nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subject", "operation", "key", name="pk_idempotency_record"),
    )
    # for purging expired records
    op.create_index("ix_idempotency_record_created_at", "idempotency_record", ["created_at"])


def drop_idempotency_table_v1(op: Any) -> None:
    op.drop_index("ix_idempotency_record_created_at", table_name="idempotency_record")
    op.drop_table("idempotency_record")


class IdempotencyKeyReused(UnprocessableContent):
    slug, title = "idempotency-key-reused", "Idempotency key reused for a different request"


class IdempotentReplay(Exception):
    """Raised by `IdempotencyDep` when the request's key has a stored answer; the handler sends it."""

    def __init__(self, response: Response) -> None:
        super().__init__("idempotent replay")
        self.response = response


async def _send_replay(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    return exc.response


def install_replay_handler(app: FastAPI) -> None:
    app.add_exception_handler(IdempotentReplay, _send_replay)


def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """SHA-256 of what makes two requests the same: method, path, query and the body as JSON data.

    A JSON body is compared as data (key order and whitespace do not matter); any other body byte for byte.
    """
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode()):
        digest.update(part)
        digest.update(b"\x00")
    digest.update(canonical)
    return digest.hexdigest()


@dataclass(frozen=True)
class IdempotentRequest:
    """One request's idempotency: its key (None when the client sent none) and what identifies it."""

    key: str | None
    subject: str
    operation: str
    fingerprint: str
    retention: timedelta = DEFAULT_RETENTION

    def _where(self) -> sa.ColumnElement[bool]:
        return sa.and_(
            idempotency_record.c.subject == self.subject,
            idempotency_record.c.operation == self.operation,
            idempotency_record.c.key == self.key,
        )

    async def replay(self, session: AsyncSession) -> Response | None:
        """The stored answer to an earlier request with this key; None when there is none to replay."""
        if self.key is None:
            return None
        row = (
            await session.execute(
                sa.select(
                    idempotency_record.c.request_fingerprint,
                    idempotency_record.c.status_code,
                    idempotency_record.c.response_headers,
                    idempotency_record.c.response_body,
                    idempotency_record.c.created_at,
                ).where(self._where())
            )
        ).one_or_none()
        if row is None:
            return None
        if row.created_at < utc_now() - self.retention:
            await session.execute(sa.delete(idempotency_record).where(self._where()))
            return None
        if row.request_fingerprint != self.fingerprint:
            raise IdempotencyKeyReused(
                f"the Idempotency-Key {self.key!r} was used for a different request; "
                "use a new key for a new request, or resend the original request unchanged",
                errors=[
                    ValidationIssue(
                        loc=["header", IDEMPOTENCY_HEADER],
                        msg="already used with a different request body",
                        type="idempotency_key_reused",
                    )
                ],
            )
        headers = dict(row.response_headers)
        headers[REPLAYED_HEADER] = "true"
        return Response(
            content=row.response_body,
            status_code=row.status_code,
            headers=headers,
            media_type="application/json",
        )

    async def respond(
        self,
        session: AsyncSession,
        body: BaseModel,
        *,
        status_code: int = 201,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """The answer to send, stored with the key (in the session's transaction) when the client sent one."""
        content = body.model_dump_json()
        stored_headers = dict(headers or {})
        if self.key is not None:
            await session.execute(
                sa.insert(idempotency_record).values(
                    subject=self.subject,
                    operation=self.operation,
                    key=self.key,
                    request_fingerprint=self.fingerprint,
                    status_code=status_code,
                    response_headers=stored_headers,
                    response_body=content,
                    created_at=utc_now(),
                )
            )
        return Response(
            content=content, status_code=status_code, headers=stored_headers, media_type="application/json"
        )


async def idempotent_request(
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            pattern=KEY_PATTERN,
            description="A unique key per intended change (e.g. a UUID). Resending the same request with "
            "the same key within 24 hours returns the first answer instead of repeating the change. "
            "Ignored for callers without an API key (the public application form), who share no identity.",
        ),
    ] = None,
) -> IdempotentRequest:
    route = request.scope.get("route")
    operation = getattr(route, "name", None) or f"{request.method} {request.url.path}"
    body = await request.body()
    idempotency = IdempotentRequest(
        # Anonymous callers share one subject: a key of theirs would hand one applicant another's answer.
        key=None if principal.is_anonymous else idempotency_key,
        subject=principal.subject,
        operation=operation,
        fingerprint=request_fingerprint(request.method, request.url.path, request.url.query, body),
    )
    if (replay := await idempotency.replay(session)) is not None:
        raise IdempotentReplay(replay)
    return idempotency


IdempotencyDep = Annotated[IdempotentRequest, Depends(idempotent_request)]


async def created(
    session: AsyncSession,
    idempotency: IdempotentRequest,
    body: BaseModel,
    *,
    location: str,
    version: int | None = None,
    weak_etag: bool = False,
) -> Response:
    """201 with `body`, its `Location` and (for a versioned resource) its `ETag`, kept for replays of the
    request's Idempotency-Key."""
    headers = {"Location": location}
    if version is not None:
        headers |= etag_headers(version, weak=weak_etag)
    return await idempotency.respond(session, body, status_code=201, headers=headers)

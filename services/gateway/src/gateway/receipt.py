"""Deadlines for receiving a request and a cap on its head's size, kept by the HTTP protocol itself, and a
cap on open connections.

uvicorn has no request-receipt timeout: its keep-alive timer is reset by every byte, and ASGI code runs
only once the headers are in, so a client sending one byte a second holds a connection (and a file
descriptor) for as long as it likes. These subclasses of uvicorn's HTTP/1.1 protocols (httptools, h11)
arm a deadline when a request's first byte arrives (or the connection opens) and disarm it once its
head, then its body, is in; on expiry the connection is closed, with a 408 when part of a request came.
uvicorn takes a protocol class only programmatically, hence the gateway's own launcher (`gateway.serve`).
The same idea as xorbitsai/inference#5213.

Nor does uvicorn's httptools protocol bound a request's head: it buffers header lines of any length and
number (20 MB were taken and passed on), which no body limit covers. So the protocol counts the bytes that
of a head as they arrive, before the parser reads them, and past `head_bytes` answers 431 and closes the
connection: a connection holds at most that, plus one read, before its head is in, and a head that arrives
whole in one read is refused as well. (h11 has its own cap, 16 KiB by default.) Bytes that are not HTTP get a
400 problem with a request id, not uvicorn's plain text.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, cast

import structlog
from prm_contracts.problem import PROBLEM_MEDIA_TYPE, AppError, BadRequest
from prm_kit.request_id import new_request_id
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.uploads import streams_body

# The proxy answers a late body itself (a 408 problem with the request id) at the body deadline; the
# protocol's own deadline is a backstop a little later, for everything else (the gateway's own endpoints,
# a body still trickling in after its request was answered).
BODY_BACKSTOP_GRACE_SECONDS = 2.0
HTTP_PROTOCOLS = ("httptools", "h11")

_log = structlog.get_logger("receipt")


class RequestTimeout(AppError):
    status, slug, title = 408, "request-timeout", "Request not received in time"


class RequestHeadTooLarge(AppError):
    status, slug, title = 431, "request-head-too-large", "Request header fields too large"


@dataclass(frozen=True)
class ReceiptLimits:
    head_seconds: float
    body_seconds: float
    max_connections: int
    head_bytes: int


def _closing_response(error: AppError) -> bytes:
    """The problem answer written on the connection itself, which is then closed. It carries a request id of
    its own, as every answer does (the caller's was in a head never read whole), logged with the refusal."""
    request_id = new_request_id()
    _log.warning(
        "request_refused_at_receipt", status=error.status, detail=error.detail, request_id=request_id
    )
    body = json.dumps(error.to_problem().model_dump(mode="json", exclude_none=True))
    encoded = body.encode()
    head = (
        f"HTTP/1.1 {error.status} {error.title}\r\n"
        f"content-type: {PROBLEM_MEDIA_TYPE}\r\n"
        f"content-length: {len(encoded)}\r\n"
        f"x-request-id: {request_id}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + encoded


def _timeout_response(detail: str) -> bytes:
    return _closing_response(RequestTimeout(detail))


class ReceiptDeadlines(asyncio.Protocol):
    """Mixed in before uvicorn's protocol class (which provides the attributes declared here)."""

    limits: ClassVar[ReceiptLimits]
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    connections: Any
    cycle: Any

    _receipt_timer: asyncio.TimerHandle | None = None
    _receipt_phase: Literal["head", "body"] = "head"
    _timed_cycle: Any = None
    _request_started = False
    _streamed_body = False  # an import (gateway.uploads): the body deadline runs from each piece
    _head_bytes = 0  # of the current request's head, as far as it has come
    _head_tail = b""  # the last bytes of the head so far: its end may straddle two reads

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            transport.close()  # before any request: nothing to answer, and no descriptor held
            return
        self._arm("head")

    def data_received(self, data: bytes) -> None:
        if self._receipt_timer is None and (self.cycle is None or not self.cycle.more_body):
            self._arm("head")  # the first byte of the next request on a kept-alive connection
        self._request_started = True
        if self._awaiting_head() and self._head_too_large(data):
            self._refuse_head()
            return
        super().data_received(data)
        self._follow_request()
        if self._streamed_body and self._receipt_phase == "body" and self._receipt_timer is not None:
            self._arm("body")

    def _head_too_large(self, data: bytes) -> bool:
        """Whether the head, as far as `data` brings it, is past `head_bytes`: counted before the parser
        reads `data`, since a head that arrives whole in one read would be parsed (and passed on) at once."""
        searched = self._head_tail + data
        end = searched.find(b"\r\n\r\n")
        if end == -1:
            self._head_bytes += len(data)
            self._head_tail = searched[-3:]
        else:  # the rest of `data` is the body (or the next request)
            self._head_bytes += end + 4 - len(self._head_tail)
        return self._head_bytes > self.limits.head_bytes

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to bytes that are not HTTP (its parser's error), as a problem with a request id
        like every other answer, instead of its plain text."""
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(_closing_response(BadRequest(f"not a valid HTTP/1.1 request ({msg})")))
            self.transport.close()

    def _awaiting_head(self) -> bool:
        return self._receipt_phase == "head" and self._receipt_timer is not None

    def _refuse_head(self) -> None:
        """More than `head_bytes` came and the head is not in yet: 431, and the connection closed."""
        self._disarm()
        transport = self.transport
        if not transport.is_closing():
            transport.write(
                _closing_response(
                    RequestHeadTooLarge(
                        f"the request line and headers exceed {self.limits.head_bytes} bytes; send less"
                    )
                )
            )
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _follow_request(self) -> None:
        cycle = self.cycle
        if cycle is None or self.transport.is_closing():
            return
        if cycle is not self._timed_cycle:  # a new request's head is in
            self._timed_cycle = cycle
            self._disarm()
            scope = getattr(cycle, "scope", None) or {}
            self._streamed_body = streams_body(scope.get("method", ""), scope.get("path", ""))
            if cycle.more_body:
                self._arm("body")
        elif self._receipt_phase == "body" and not cycle.more_body:
            self._disarm()

    def _arm(self, phase: Literal["head", "body"]) -> None:
        self._disarm()
        self._receipt_phase = phase
        if phase == "head":
            self._request_started = False
            self._head_bytes = 0
            self._head_tail = b""
            seconds = self.limits.head_seconds
        else:
            seconds = self.limits.body_seconds + BODY_BACKSTOP_GRACE_SECONDS
        self._receipt_timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._receipt_timer is not None:
            self._receipt_timer.cancel()
            self._receipt_timer = None

    def _expired(self) -> None:
        self._receipt_timer = None
        transport = self.transport
        if transport.is_closing():
            return
        cycle = self.cycle
        if self._receipt_phase == "head":
            between_requests = cycle is None or cycle.response_complete
            if self._request_started and between_requests:
                transport.write(_timeout_response("the request's headers did not arrive in time"))
        elif cycle is not None and not cycle.response_started:
            transport.write(_timeout_response("the request's body did not arrive in time"))
            # The application (still waiting for the body) now hears of a disconnect; its answer is dropped.
            cycle.disconnected = True
            cycle.message_event.set()
        transport.close()


class HttpToolsWithDeadlines(ReceiptDeadlines, HttpToolsProtocol):
    pass


class H11WithDeadlines(ReceiptDeadlines, H11Protocol):
    pass


def protocol_class(http: str, limits: ReceiptLimits) -> type[asyncio.Protocol]:
    """uvicorn's `http` protocol class (`httptools` or `h11`) with these receipt deadlines."""
    bases: dict[str, type[ReceiptDeadlines]] = {
        "httptools": HttpToolsWithDeadlines,
        "h11": H11WithDeadlines,
    }
    if http not in bases:
        raise ValueError(f"http must be one of {', '.join(HTTP_PROTOCOLS)}; got {http!r}")
    base = bases[http]
    return cast(type[asyncio.Protocol], type(base.__name__, (base,), {"limits": limits}))

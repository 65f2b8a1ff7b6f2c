"""Every error answer is RFC 9457 problem+json; nothing internal ever leaks into one."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prm_contracts.problem import (
    PROBLEM_MEDIA_TYPE,
    AppError,
    BadRequest,
    Conflict,
    MethodNotAllowed,
    NotFound,
    Problem,
    ServiceUnavailable,
    UnprocessableContent,
    ValidationIssue,
    set_problem_base_uri,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request as StarletteRequest
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prm_kit.db.states import is_number_out_of_range, sqlstate
from prm_kit.db.types import NumberOutOfRange

_log = structlog.get_logger("errors")
_BY_STATUS: dict[int, type[AppError]] = {cls.status: cls for cls in AppError.__subclasses__()}


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_response(error: AppError, request: Request | None = None) -> ProblemResponse:
    instance = request.url.path if request is not None else None
    body = error.to_problem(instance).model_dump(mode="json", exclude_none=True)
    return ProblemResponse(body, status_code=error.status, headers=error.headers or None)


def validation_issues(raw_errors: Any) -> list[ValidationIssue]:
    issues = []
    for err in raw_errors:
        msg = str(err.get("msg", "invalid"))
        # pydantic prefixes messages raised by validators; the client needs only the reason.
        msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        issues.append(
            ValidationIssue(loc=list(err.get("loc", ())), msg=msg, type=str(err.get("type", "invalid")))
        )
    return issues


def summarise(issues: list[ValidationIssue]) -> str:
    parts = [f"{'.'.join(str(p) for p in i.loc)}: {i.msg}" for i in issues[:5]]
    more = f" (and {len(issues) - 5} more)" if len(issues) > 5 else ""
    return "; ".join(parts) + more


async def _app_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, AppError)
    return problem_response(exc, request)


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    issues = validation_issues(exc.errors())
    if any(issue.type == "json_invalid" for issue in issues):
        # Not JSON at all is a malformed request (400), as documented; well-formed but invalid data is 422.
        return problem_response(
            BadRequest(f"the body is not JSON: {summarise(issues)}", errors=issues), request
        )
    detail = summarise(issues)
    if (hint := _media_type_hint(request, issues)) is not None:
        detail = f"{hint}; {detail}"
    return problem_response(UnprocessableContent(detail, errors=issues), request)


def _media_type_hint(request: Request, issues: list[ValidationIssue]) -> str | None:
    """Why a whole body was not an object, when it was sent as something other than JSON: a valid JSON body
    sent as text/plain is read as text, and "not a valid object" alone hides the cause."""
    if not any(issue.loc == ["body"] for issue in issues):
        return None
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        return None
    return f"the body was sent as {media_type or 'no Content-Type'}: send JSON as application/json"


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """The methods some route of the app serves at the request's path."""
    routes = getattr(request.app, "routes", [])
    return [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        error: AppError = NotFound(f"no resource at {request.method} {request.url.path}")
    elif exc.status_code == 405:
        error = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
    elif exc.status_code in _BY_STATUS:
        error = _BY_STATUS[exc.status_code](str(exc.detail) if exc.detail else None)
    else:
        # No AppError has this status: a plain problem, so that its members agree with the status line.
        try:
            title = HTTPStatus(exc.status_code).phrase
        except ValueError:
            title = "Error"
        problem = Problem(
            title=title,
            status=exc.status_code,
            detail=str(exc.detail) if exc.detail else None,
            instance=request.url.path,
        )
        return ProblemResponse(
            problem.model_dump(mode="json", exclude_none=True),
            status_code=exc.status_code,
            headers=exc.headers or None,
        )
    if exc.headers:
        error.headers.update(exc.headers)
    if exc.status_code == 405 and (allowed := allowed_methods(request)):
        # Starlette names only the first route's methods; a path served by several routes has them all.
        error.headers["Allow"] = ", ".join(allowed)
    response = problem_response(error, request)
    response.status_code = exc.status_code
    return response


async def _integrity_error(request: Request, exc: Exception) -> ProblemResponse:
    # A backstop: services check uniqueness themselves, but a race can still reach the constraint.
    assert isinstance(exc, IntegrityError)
    if is_number_out_of_range(exc):
        return _number_out_of_range(request, exc)
    _log.warning("integrity_error", error=str(getattr(exc, "orig", exc))[:300])
    return problem_response(Conflict("the change conflicts with data stored meanwhile; retry"), request)


def unexpected_error(scope: Scope) -> AppError:
    """The 500 a client sees for our own failure: no internals, the request id to quote."""
    request_id = scope.get("state", {}).get("request_id")
    return AppError(f"an unexpected error occurred; quote request id {request_id} when reporting it")


# PostgreSQL refuses text it cannot store: the NUL character (22021) or one the encoding lacks (22P05).
_UNSTORABLE_TEXT = {"22021", "22P05"}


# How long a client should wait before retrying when the database cannot be reached; it recovers on its own
# (the pool reconnects), so a short wait is right.
DATABASE_RETRY_AFTER_SECONDS = 5


def _database_unavailable(request: Request, exc: BaseException) -> ProblemResponse:
    _log.warning("database_unavailable", error=type(exc).__name__, path=request.url.path)
    error = ServiceUnavailable(
        "the service's database cannot be reached right now; nothing was stored, retry later",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )
    return problem_response(error, request)


async def _unreachable(request: Request, exc: Exception) -> ProblemResponse:
    """A connection refused, reset or timed out on the way to the database (asyncpg raises these as plain
    `OSError`s while connecting), or no pooled connection free in time: 503, not a 500."""
    return _database_unavailable(request, exc)


_EXACT_RANGE = (
    "what is kept exactly (an amount: up to 15 digits before the decimal point, on the embedded SQLite "
    "database up to 922,337,203,685,477.5807)"
)


def _number_out_of_range(request: Request, exc: StatementError | NumberOutOfRange) -> ProblemResponse:
    """Each amount sent is checked, but a total kept of many (a rollup of a month's sales, a payout) can
    outgrow its column through requests that were each valid: refused whole, never stored inexactly. On
    SQLite a read can meet the same bound when it adds stored totals up. A service computing a total it does
    not store (a what-if) raises `NumberOutOfRange` itself, for the same answer."""
    error = exc.orig if isinstance(exc, StatementError) else exc
    _log.warning("number_out_of_range", error=str(error)[:300], path=request.url.path)
    if request.method in {"GET", "HEAD"}:
        detail = f"a sum of stored amounts this answer needs exceeds {_EXACT_RANGE}; ask for a shorter span"
        loc: list[str | int] = ["query"]
    else:
        detail = f"a number, or a total kept of it, would exceed {_EXACT_RANGE}; nothing was stored"
        loc = ["body"]
    issue = ValidationIssue(loc=loc, msg=detail, type="number_out_of_range")
    return problem_response(UnprocessableContent(detail, errors=[issue]), request)


async def _number_out_of_range_raised(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, NumberOutOfRange)
    return _number_out_of_range(request, exc)


async def _database_error(request: Request, exc: Exception) -> ProblemResponse:
    """Text a client sent that PostgreSQL cannot store, or a number (or a total) beyond its column, is the
    client's mistake (422); a lost connection is 503; anything else is ours."""
    assert isinstance(exc, DBAPIError)
    if exc.connection_invalidated or isinstance(exc.orig, OSError):
        return _database_unavailable(request, exc)
    if sqlstate(exc) in _UNSTORABLE_TEXT:
        return problem_response(
            UnprocessableContent(
                "text may not contain the NUL character (\\u0000) or unencodable characters"
            ),
            request,
        )
    if is_number_out_of_range(exc):
        return _number_out_of_range(request, exc)
    _log.error("database_error", exc_info=exc, path=request.url.path)
    return problem_response(unexpected_error(request.scope), request)


async def _statement_error(request: Request, exc: Exception) -> ProblemResponse:
    """A value SQLAlchemy could not send (the database never saw it): a number beyond its column is the
    client's 422, anything else is ours."""
    assert isinstance(exc, StatementError)
    if is_number_out_of_range(exc):
        return _number_out_of_range(request, exc)
    _log.error("statement_error", exc_info=exc, path=request.url.path)
    return problem_response(unexpected_error(request.scope), request)


class UnexpectedErrorMiddleware:
    """Answers an unhandled exception with a bare 500 problem (logged with its request id).

    Starlette's own last-resort handler sits outside every middleware, so its answer would miss the
    request id header; this one sits inside the request-id middleware.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            _log.error("unhandled_error", exc_info=exc, path=scope.get("path"))
            if started:
                raise
            await problem_response(unexpected_error(scope), StarletteRequest(scope))(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    """The handlers that render every error as problem+json; the problem types' base URI comes from the
    app's settings (`app.state.settings.problem_base_uri`) when it has them."""
    base_uri = getattr(getattr(app.state, "settings", None), "problem_base_uri", None)
    if base_uri:
        set_problem_base_uri(base_uri)
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(StatementError, _statement_error)
    app.add_exception_handler(NumberOutOfRange, _number_out_of_range_raised)
    app.add_exception_handler(OSError, _unreachable)
    app.add_exception_handler(PoolTimeoutError, _unreachable)


# On a route's error answer (`problems(..., only=...)`): the slugs of the only problem types it gives with
# that status, where the service's others of that status cannot come from this operation.
ONLY_PROBLEM_TYPES = "x-only-problem-types"


def problems(*statuses: int, only: dict[int, Sequence[str]] | None = None) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each listed status documented as a problem+json answer. `only`: per
    status, the slugs of the only problem types the route answers with (otherwise every type of the service
    with that status is listed, see `prm_kit.openapi.describe_problem_types`)."""
    responses: dict[int | str, dict[str, Any]] = {
        status: {
            "model": Problem,
            # statuses of AppError subclasses defined after this module (e.g. 428 in prm_kit.etag) too
            "description": (_BY_STATUS.get(status) or AppError._by_status.get(status) or AppError).title,
            "content": {PROBLEM_MEDIA_TYPE: {}},
        }
        for status in statuses
    }
    for status, slugs in (only or {}).items():
        responses[status][ONLY_PROBLEM_TYPES] = list(slugs)
    return responses


__all__ = [
    "Problem",
    "ProblemResponse",
    "UnexpectedErrorMiddleware",
    "install_problem_handlers",
    "problem_response",
    "problems",
]

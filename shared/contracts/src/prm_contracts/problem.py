"""RFC 9457 problem details, and the one exception family that is rendered as (and parsed from) them."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ValidationIssue(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is, e.g. ['body', 'amount'].")
    msg: str
    type: str


class Problem(BaseModel):
    """An error answer. Extension members (such as `allowed`) may follow the standard ones."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="A URI reference naming the problem type.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ValidationIssue] | None = None


# Problem types are absolute URIs (RFC 9457 §3.1.1): this base plus the type's slug. Every process of one
# deployment sets the same base (`PRM_PROBLEM_BASE_URI`, see `set_problem_base_uri`), normally its gateway's
# public URL + `/problems/`, where the gateway serves a page about each type.
# The default is a relative reference, resolved against the answer's own URL (the gateway's `/problems/...`
# page); `prm up` sets the gateway's absolute URL, and a deployment its public one.
DEFAULT_PROBLEM_BASE_URI = "/problems/"
_problem_base_uri = DEFAULT_PROBLEM_BASE_URI


def set_problem_base_uri(base_uri: str) -> None:
    """Where this deployment's problem types live; called once at start-up from the settings."""
    global _problem_base_uri
    _problem_base_uri = base_uri if base_uri.endswith("/") else base_uri + "/"


def problem_type(slug: str) -> str:
    return _problem_base_uri + slug


class AppError(Exception):
    """A failure a client can act on. Services raise subclasses; one handler renders them as problem+json."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal server error"
    # Extension members a problem of this type may carry, with what each means (documented on its page).
    members: ClassVar[dict[str, str]] = {}
    _by_slug: ClassVar[dict[str, type[AppError]]] = {}
    _by_status: ClassVar[dict[int, type[AppError]]] = {}

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[ValidationIssue] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extensions = extensions

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        AppError._by_slug.setdefault(cls.slug, cls)
        AppError._by_status.setdefault(cls.status, cls)

    @property
    def type(self) -> str:
        return problem_type(self.slug)

    def to_problem(self, instance: str | None = None) -> Problem:
        return Problem(
            type=self.type,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
            **self.extensions,
        )

    @classmethod
    def from_problem(cls, problem: Problem) -> AppError:
        """Turn a problem body received from another service back into the exception it came from."""
        slug = problem.type.rsplit("/", 1)[-1]
        error_class = cls._by_slug.get(slug) or cls._by_status.get(problem.status) or AppError
        extensions = {k: v for k, v in (problem.model_extra or {}).items()}
        error = error_class(problem.detail, errors=problem.errors, **extensions)
        return error


class BadRequest(AppError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(AppError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(AppError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(AppError):
    """The `If-Match` sent names a version the resource no longer has (or is not an entity tag)."""

    status, slug, title = 412, "precondition-failed", "Precondition failed"
    members = {"current_etag": "The ETag the resource has now; read it again and reapply the change."}


class PreconditionRequired(AppError):
    status, slug, title = 428, "precondition-required", "Precondition required"


class PayloadTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnprocessableContent(AppError):
    status, slug, title = 422, "validation-error", "Request is not valid"


class RateLimited(AppError):
    status, slug, title = 429, "rate-limited", "Too many requests"


class BadGateway(AppError):
    status, slug, title = 502, "bad-gateway", "Upstream service failed"


class ServiceUnavailable(AppError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


class GatewayTimeout(AppError):
    status, slug, title = 504, "gateway-timeout", "Upstream service timed out"

"""Errors are RFC 9457 problems: each class has its status, type and title, and a problem body turns back
into the exception it came from."""

from __future__ import annotations

import pytest
from prm_contracts.problem import (
    AppError,
    BadGateway,
    BadRequest,
    Conflict,
    Forbidden,
    GatewayTimeout,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    Problem,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
    UnprocessableContent,
    ValidationIssue,
)

ERROR_CLASSES: list[tuple[type[AppError], int, str, str]] = [
    (BadRequest, 400, "/problems/bad-request", "Bad request"),
    (Unauthorized, 401, "/problems/unauthorized", "Authentication required"),
    (Forbidden, 403, "/problems/forbidden", "Forbidden"),
    (NotFound, 404, "/problems/not-found", "Not found"),
    (MethodNotAllowed, 405, "/problems/method-not-allowed", "Method not allowed"),
    (Conflict, 409, "/problems/conflict", "Conflict"),
    (PreconditionFailed, 412, "/problems/precondition-failed", "Precondition failed"),
    (PayloadTooLarge, 413, "/problems/payload-too-large", "Request body too large"),
    (UnprocessableContent, 422, "/problems/validation-error", "Request is not valid"),
    (RateLimited, 429, "/problems/rate-limited", "Too many requests"),
    (BadGateway, 502, "/problems/bad-gateway", "Upstream service failed"),
    (ServiceUnavailable, 503, "/problems/service-unavailable", "Service unavailable"),
    (GatewayTimeout, 504, "/problems/gateway-timeout", "Upstream service timed out"),
]


class PartnerSuspended(Conflict):
    """A service's own, more specific problem type."""

    slug, title = "partner-suspended", "Partner is suspended"


@pytest.mark.parametrize(("error_class", "status", "type_", "title"), ERROR_CLASSES)
def test_each_error_class_has_its_status_type_and_title(
    error_class: type[AppError], status: int, type_: str, title: str
) -> None:
    error = error_class("something specific")

    assert (error.status, error.type, error.title) == (status, type_, title)
    assert str(error) == "something specific"


def test_an_unspecific_app_error_is_an_internal_error() -> None:
    error = AppError()

    assert (error.status, error.type, error.title) == (
        500,
        "/problems/internal-error",
        "Internal server error",
    )
    assert str(error) == "Internal server error"


def test_to_problem_gives_the_standard_members() -> None:
    problem = NotFound("no partner 42").to_problem("/v1/partners/42")

    assert problem.model_dump(mode="json", exclude_none=True) == {
        "type": "/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": "no partner 42",
        "instance": "/v1/partners/42",
    }


def test_to_problem_carries_validation_errors_and_extension_members() -> None:
    issue = ValidationIssue(loc=["body", "amount"], msg="too many decimals", type="value_error")

    invalid = UnprocessableContent("amount: too many decimals", errors=[issue]).to_problem()
    conflict = Conflict("the deal is closed", allowed=["reopen"]).to_problem()

    assert invalid.model_dump(mode="json")["errors"] == [
        {"loc": ["body", "amount"], "msg": "too many decimals", "type": "value_error"}
    ]
    assert conflict.model_dump(mode="json")["allowed"] == ["reopen"]


def test_headers_are_not_part_of_the_problem_body() -> None:
    problem = RateLimited("slow down", headers={"Retry-After": "30"}).to_problem()

    assert "headers" not in problem.model_dump()
    assert "Retry-After" not in problem.model_dump_json()


@pytest.mark.parametrize("error_class", [AppError, *(row[0] for row in ERROR_CLASSES)])
def test_a_problem_body_turns_back_into_the_same_error(error_class: type[AppError]) -> None:
    issue = ValidationIssue(loc=["query", "limit"], msg="too big", type="less_than_equal")
    sent = error_class("what went wrong", errors=[issue], allowed=["draft", "active"], retry=3)
    body = sent.to_problem("/v1/things/1").model_dump_json(exclude_none=True)

    received = AppError.from_problem(Problem.model_validate_json(body))

    assert type(received) is error_class
    assert received.status == sent.status
    assert received.detail == "what went wrong"
    assert received.errors == [issue]
    assert received.extensions == {"allowed": ["draft", "active"], "retry": 3}


def test_a_service_specific_problem_type_turns_back_into_its_own_class() -> None:
    body = PartnerSuspended("partner 7 is suspended").to_problem().model_dump_json()

    received = AppError.from_problem(Problem.model_validate_json(body))

    assert type(received) is PartnerSuspended
    assert received.type == "/problems/partner-suspended"
    assert received.status == 409


def test_an_unknown_problem_type_falls_back_to_the_class_of_its_status() -> None:
    body = '{"type": "https://example.com/problems/quota-exhausted", "title": "Quota", "status": 429, "detail": "come back tomorrow", "quota": 100}'

    received = AppError.from_problem(Problem.model_validate_json(body))

    assert type(received) is RateLimited
    assert received.detail == "come back tomorrow"
    assert received.extensions == {"quota": 100}


def test_an_about_blank_problem_falls_back_to_the_class_of_its_status() -> None:
    received = AppError.from_problem(Problem(title="Not Found", status=404))

    assert type(received) is NotFound
    assert received.detail is None

"""Schemathesis with all its checks, through the gateway to every service, as an admin and as a partner-bound key.

The whole platform runs as `prm up` runs it (`prm_cli.e2e.running_platform`): the registry, scoring,
incentives, analytics and the gateway as their own processes, each on a fresh migrated database, wired to one
another with the event subscriptions; so a request takes the real way: API key, scopes and partner binding at
the gateway, the signed principal to the service, the service's own calls to the others, and back. The
document is the merged one (the session's `merged_openapi`, what `openapi/prm.json` is written from), so each
operation is tested as frontend teams read it: required `If-Match`, problem answers, examples, links. Every
operation is generated from it: a new one is covered the day it is added.

Every built-in check runs (schemathesis' default: all), in the examples, coverage and fuzzing phases, and
the stateful phase walks the document's links (each create to its get). `make test` runs it with the bounded
defaults below (about 4.5 minutes on a quiet 2-core machine); alone: `.venv/bin/pytest fuzz -q`.
`PRM_FUZZ_EXAMPLES` sets the examples per operation (3 by default), `PRM_FUZZ_STATEFUL_STEPS` the stateful
steps (20); the longer run is
`PRM_FUZZ_EXAMPLES=20 PRM_FUZZ_STATEFUL_STEPS=100 .venv/bin/pytest fuzz/test_api_schemathesis_all_checks.py`.

`positive_data_acceptance` (a schema-valid request must not be refused) runs with one narrow exception: a 422
whose every error (`errors[].type`, and for generic types its operation and `loc`) is a rule listed below
with the reason the document does not state it. Any other refusal of schema-valid data fails, so a rule a
schema could state and does not shows here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from prm_cli.e2e import ok, running_platform
from prm_cli.services import BACKENDS
from schemathesis.specs.openapi.checks import positive_data_acceptance

# `make test` runs it in a process of its own beside the two passes (scripts/test.sh); the platform's databases
# are SQLite files whichever pass it is.
pytestmark = [pytest.mark.e2e, pytest.mark.fuzz_pass]

EXAMPLES_PER_OPERATION = int(os.environ.get("PRM_FUZZ_EXAMPLES", "3"))
STATEFUL_STEPS = int(os.environ.get("PRM_FUZZ_STATEFUL_STEPS", "20"))

# Rules a schema-valid request can still break, by the error type the API reports, each with why the document
# does not state it. A 422 is accepted as a right refusal only when every error it lists is one of these.
UNSTATED_RULES: dict[str, str] = {
    # values only the API issues or that depend on the moment
    "cursor_invalid": "`cursor` is an opaque token: only a `next_cursor` the API issued is one",
    "idempotency_key_reused": "an Idempotency-Key names one request: the same key with another body is refused "
    "(the generator reuses the document's example key)",
    "date_in_past": "relative to today, which a document cannot state",
    "date_in_future": "relative to today, which a document cannot state",
    "year_in_future": "relative to today, which a document cannot state",
    "number_out_of_range": "a total kept of what is stored (a rollup, a payout) beyond numeric(19,4): it depends "
    "on the stored data, and each number sent is within its documented pattern",
    # references: the schema states an id's form, not that the record exists (here or in another service)
    "partner_unknown": "a reference to a partner that must exist",
    "not_found": "a reference to a record that must exist",
    "model_version_unknown": "a reference to a published model version that must exist",
    "unknown_tier": "a programme's `eligibility.tiers` are keys of the registry's tier ladder",
    "criterion_unknown": "an assessment's inputs name criteria of the model version it refers to",
    # the kit's text guard, on every string of a body, path or query: stating it would add a pattern to each
    "control_character": "C0/C1 control characters (but tab, LF, CR) are refused in any text",
    "nul_character": "NUL is refused in any text",
    # parameters that exclude or complete one another: OpenAPI cannot tie one parameter to another
    "period_or_range": "`period` or both `from` and `to`, not both",
    "period_invalid": "`period` or both `from` and `to`, not both",
    "date_range": "`from` on or before `to`",
    "needs_whole_months": "`from`/`to` must cover whole months (a time series)",
    "needs_whole_quarters": "`from`/`to` must cover whole quarters (cohorts)",
    # one field's rule depends on another's value (pydantic does not write if/then schemas)
    "backtest_side": "each side of a backtest names exactly one of `version` or `terms`",
    "same_currency": "an FX rate's base and quote differ",
    "detail_missing": "a root cause `other` needs a detail",
    "resolved_on_while_open": "`resolved_on` only on a resolved or waived violation",
    "recommendation_without_source": "`recommendation_id` only with the source `scoring_recommendation`",
    "awarded_to": "`awarded_to` with the outcome `awarded` and only with it",
    "resolution_without_move": "a resolution only with a move to ruled or closed",
    "step_empty": "a step needs `to_stage`, `notes` or both",
    "criteria_required": "criteria are required unless `copy_from` is given",
    "expires_before_issued": "`expires_on` after `issued_on`",
    "due_before_start": "a goal is due after the plan starts",
    "goal_too_long": "a goal is read over at most the range analytics reads KPIs over (from the plan's start)",
    "target_kind": "a goal's `target` is Money for the amount KPIs and a decimal string for the others",
    "baseline_not_applicable": "a goal takes a `baseline` only for a KPI that is not summed over its window",
    "off_period_start": "a programme version starts on the first day of one of the programme's periods "
    "(`period_type`)",
    "off_period_end": "a programme version ends on the last day of one of the programme's periods",
    "score_missing": "a survey response has `nps`, `csat` or both",
    "reason_missing": "an MDF decision `rejected` needs a `reason`",
    "admin_bound": "a key bound to a partner cannot hold `admin`",
    "in_list": "the gate's `operator` decides the type of its `value`",
    "not_scalar": "the gate's `operator` decides the type of its `value`",
    "float_not_allowed": "the gate's `operator` decides the type of its `value`",
    "ends_before_starts": "`ends_on` not before `starts_on`",
    "effective_reversed": "a programme version's `effective_to` not before its `effective_from`",
    "not_yet_ended": "an agreement is `expired` only once its `ends_on` has passed (relative to today)",
    "agreement_status_at_creation": "an agreement is created as draft or active (the create body shares the "
    "stored agreement's status enum)",
    # relations between the items of one list, or between two values
    "bands_overlap": "bands ordered and not overlapping",
    "band_empty": "a band's upper bound above its lower bound",
    "band_unbounded_before_last": "only the last band is open-ended",
    "floor_not_below_ceiling": "a linear normaliser's floor below its ceiling",
    "grade_bands_floor": "the last grade band starts at 0",
    "duplicate_key": "keys distinct within the list",
    "criterion_duplicate": "criteria distinct within the list",
    "key_repeated": "each checklist item at most once per request",
    "rules_earn_nothing": "at least one rule earns or accrues something",
    "parties_too_few": "a conflict has at least two parties, counting the submitting partner",
    # bounds of decimal strings: money and rates are strings (never JSON numbers), and JSON Schema's
    # minimum/maximum apply to numbers only
    "rate_not_positive": "a rate above 0",
    "points_range": "a score between 0 and 100",
    "weight_not_positive": "a weight above 0",
    "amount_not_positive": "an amount above 0",
    "amount_negative": "an amount of at least 0",
    "amount_places": "an amount in whole minor units of its currency (2 places for EUR, 0 for JPY: the pattern "
    "allows 4 for any)",
    "negative_revenue": "a minimum revenue of at least 0 (money's pattern allows a sign)",
    "rate_too_large": "a rate of at most 1",
    "size_not_positive": "a market size above 0",
    # code lists: the document gives their pattern and names the standard; listing every code as an enum
    # would give each generated client a 250-member enum per field (openapi-python-client makes one per use)
    "country_code": "an ISO 3166-1 alpha-2 code that exists (the pattern allows any two letters)",
    "currency_code": "an ISO 4217 code that exists (the pattern allows any three capitals)",
    "parties_repeated": "each party at most once (parties are objects: JSON Schema's uniqueItems compares "
    "whole items, not the party they name)",
    "root_cause_repeated": "each root cause at most once (root causes are objects, as parties)",
    # syntax checked by code, beyond a readable pattern
    "domain": "a domain name (IDNA labels, a dot-separated name), also given as a URL",
    "phone": "6 to 20 digits among the separators",
    "region": "a two-letter region must be an ISO 3166-1 country",
    "segment": "1 to 100 characters once spaces are collapsed",
    # an import's body is a CSV file: its records are checked line by line, which a string schema cannot state
    "csv_invalid": "a CSV file with a header and at least one record",
    "fx_monthly_day": "a monthly rate holds from a month's first day",
    "fx_duplicate": "a pair's rate is given once per date in a batch (rates are objects: uniqueItems compares "
    "whole items, not the pair and date they name)",
    "fx_gap": "each pair's rates in a batch form a series without a gap (daily or monthly, as `frequency` says)",
}
# Generic error types (pydantic's own) accepted only at one operation and field.
UNSTATED_RULES_AT: dict[tuple[str, str, tuple[str, ...]], str] = {
    ("POST /v1/deal-registrations", "missing", ("body", "partner_id")): "a vendor names the partner; a "
    "partner-bound key's own partner is implied (the requirement depends on the caller, not the body)",
    ("POST /v1/partners/{partner_id}/agreements", "missing", ("body", "signed_on")): "`signed_on` is "
    "required unless the agreement is a draft",
    ("POST /v1/partners/{partner_id}/tier-changes", "missing", ("body", "recommendation_id")): "required "
    "only with the source `scoring_recommendation`",
    ("POST /v1/evaluation-models", "value_error", ("body", "version", "gates", "*", "questionnaire")): "the "
    "gate's `operator` decides the type of its `value`",
    (
        "POST /v1/evaluation-models/{model_id}/versions",
        "value_error",
        ("body", "gates", "*", "questionnaire"),
    ): ("the gate's `operator` decides the type of its `value`"),
    (
        "PATCH /v1/evaluation-models/{model_id}/versions/{number}",
        "value_error",
        ("body", "gates", "*", "questionnaire"),
    ): ("the gate's `operator` decides the type of its `value`"),
}


def _loc_matches(pattern: tuple[str, ...], loc: list[Any]) -> bool:
    return len(pattern) == len(loc) and all(
        p in ("*", str(part)) for p, part in zip(pattern, loc, strict=True)
    )


def _an_unstated_rule(operation: str, error: dict[str, Any]) -> bool:
    kind, loc = error.get("type"), error.get("loc") or []
    if kind in UNSTATED_RULES:
        return True
    return any(
        at == operation and kind == generic and _loc_matches(pattern, loc)
        for at, generic, pattern in UNSTATED_RULES_AT
    )


def positive_data_acceptance_but_unstated_rules(
    ctx: Any, response: Any, case: schemathesis.Case
) -> bool | None:
    """Schemathesis' `positive_data_acceptance`, except for a 422 whose every error is an unstated rule, and a
    412 or 428: `If-Match` must name the resource's current version (on a PUT that creates: be sent once the
    resource exists, and left out while there is none), which depends on the state, as a 409 does (which the
    check accepts)."""
    if response.status_code in (412, 428):
        return None
    if response.status_code == 422:
        try:
            errors = response.json().get("errors") or []
        except ValueError:
            errors = []
        if errors and all(_an_unstated_rule(case.operation.label, error) for error in errors):
            return None
    return positive_data_acceptance(ctx, response, case)


EXCLUDED_CHECKS = [positive_data_acceptance]  # replaced by the one above
ADDITIONAL_CHECKS = [positive_data_acceptance_but_unstated_rules]
# What a partner's own key holds: every resource, so that the services' own rules (not missing scopes at the
# gateway) decide what a partner may do; never `admin`.
PARTNER_SCOPES = [
    "partners:write",
    "deal-registrations:write",
    "conflicts:write",
    "tiers:read",
    "scoring:write",
    "incentives:write",
    "analytics:write",
]


@pytest.fixture(scope="module")
def all_checks_schema(merged_openapi: Callable[[], dict[str, Any]]) -> Any:
    """Built when the module runs, not at collection: a pass that skips it pays nothing for the document."""
    return schemathesis.openapi.from_dict(merged_openapi())


# Each operation is a subtest of the test below, reported by its method and path.
schema = schemathesis.pytest.from_fixture("all_checks_schema")


@dataclass(frozen=True)
class Platform:
    url: str
    admin: dict[str, str]
    partner: dict[str, str]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    environments = {
        # a deal or an agreement does not expire while the run lasts; requests are never limited
        "registry": {"PRM_DEAL_EXPIRY_SWEEP_SECONDS": "0", "PRM_AGREEMENT_EXPIRY_SWEEP_SECONDS": "0"},
        "gateway": {"PRM_RATE_LIMIT_PER_SECOND": "100000", "PRM_RATE_LIMIT_BURST": "1000000"},
    }
    environments = {
        name: {"PRM_ACCESS_LOG": "false", **environments.get(name, {})}
        for name in [*(service.name for service in BACKENDS), "gateway"]
    }
    folder = tmp_path_factory.mktemp("all-checks")
    with running_platform(folder, [service.name for service in BACKENDS], environments) as running:
        admin = {"Authorization": running.gateway.headers["Authorization"]}
        partner = ok(
            running.gateway.post(
                "/v1/partners",
                json={"legal_name": "Schemathesis Partner GmbH", "partner_type": "reseller", "country": "DE"},
            ),
            201,
        )
        key = ok(
            running.gateway.post(
                "/v1/admin/api-keys",
                json={"name": "all-checks", "scopes": PARTNER_SCOPES, "partner_id": partner["id"]},
            ),
            201,
        )
        yield Platform(running.services["gateway"].url, admin, {"Authorization": f"Bearer {key['key']}"})


def _hypothesis(max_examples: int, **more: Any) -> Callable[[Any], Any]:
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,  # one run is the same run everywhere: a failure is reproducible
        suppress_health_check=list(HealthCheck),
        **more,
    )


@pytest.fixture(params=["admin", "partner"])
def caller(request: pytest.FixtureRequest) -> str:
    """The stateful sequences run as an admin and as a partner-bound key."""
    caller_name: str = request.param
    return caller_name


def _passes_every_check(case: schemathesis.Case, url: str, headers: dict[str, str]) -> None:
    case.call_and_validate(
        base_url=url,
        headers=headers,
        timeout=30,
        excluded_checks=EXCLUDED_CHECKS,
        additional_checks=ADDITIONAL_CHECKS,
    )


@schema.parametrize()
@_hypothesis(EXAMPLES_PER_OPERATION)
def test_every_operation_passes_every_check_as_an_admin(case: schemathesis.Case, platform: Platform) -> None:
    _passes_every_check(case, platform.url, platform.admin)


@schema.parametrize()
@_hypothesis(EXAMPLES_PER_OPERATION)
def test_every_operation_passes_every_check_as_a_partner(case: schemathesis.Case, platform: Platform) -> None:
    _passes_every_check(case, platform.url, platform.partner)


def test_the_links_hold_in_stateful_sequences(
    platform: Platform, caller: str, all_checks_schema: Any
) -> None:
    headers = getattr(platform, caller)

    class Sequences(all_checks_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": platform.url, "headers": headers, "timeout": 30}

        def validate_response(
            self, response: Any, case: schemathesis.Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                additional_checks=ADDITIONAL_CHECKS,
                excluded_checks=EXCLUDED_CHECKS,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Sequences.run(settings=_hypothesis(max(1, STATEFUL_STEPS // 5), stateful_step_count=5))

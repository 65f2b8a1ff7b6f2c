"""The static routing table: which service owns each `/v1/<collection>` prefix, and the scope it needs.

Every public prefix is a single path segment under `/v1`, so matching is one dictionary lookup on that
segment, whatever the size of the table; the one exception are the outbox dead letters every service has
(`/v1/event-dead-letters/<service>`, two segments, looked up only when the first one matches nothing).
GET and HEAD need `<resource>:read`, other methods `<resource>:write`; the dead letters need `admin`; the
webhook prefix is public (analytics verifies each delivery's signature itself).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from prm_contracts.principal import ADMIN_SCOPE

from gateway.scopes import RESOURCES, read_scope, write_scope

REGISTRY, SCORING, INCENTIVES, ANALYTICS = "registry", "scoring", "incentives", "analytics"
SERVICES: tuple[str, ...] = (REGISTRY, SCORING, INCENTIVES, ANALYTICS)
_READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True, slots=True)
class Route:
    prefix: str
    service: str
    resource: str | None  # None: public, no API key (the webhook receiver)
    read_scope: str | None
    write_scope: str | None

    @property
    def public(self) -> bool:
        return self.resource is None

    def scope_for(self, method: str) -> str | None:
        return self.read_scope if method in _READ_METHODS else self.write_scope

    @property
    def metrics_route(self) -> str:
        """The label used in metrics: the prefix, never the raw path (ids would explode cardinality)."""
        return self.prefix + "/…"


def _route(prefix: str, service: str, resource: str | None) -> Route:
    if resource is not None and resource not in RESOURCES:
        raise ValueError(f"{prefix}: {resource!r} is not a resource of gateway.scopes")
    return Route(
        prefix=prefix,
        service=service,
        resource=resource,
        read_scope=read_scope(resource) if resource else None,
        write_scope=write_scope(resource) if resource else None,
    )


def _read_only_route(prefix: str, service: str, resource: str) -> Route:
    """A prefix whose every method only reads: `<resource>:read` for all of them."""
    return replace(_route(prefix, service, resource), write_scope=read_scope(resource))


def _admin_route(prefix: str, service: str) -> Route:
    return Route(
        prefix=prefix, service=service, resource=ADMIN_SCOPE, read_scope=ADMIN_SCOPE, write_scope=ADMIN_SCOPE
    )


# Each service's outbox dead letters (prm_kit.dead_letters): one prefix per service, admin keys only.
DEAD_LETTERS_PREFIX = "/v1/event-dead-letters"
DEAD_LETTER_ROUTES: tuple[Route, ...] = tuple(
    _admin_route(f"{DEAD_LETTERS_PREFIX}/{service}", service) for service in SERVICES
)

ROUTES: tuple[Route, ...] = (
    _route("/v1/partners", REGISTRY, "partners"),
    _route("/v1/applications", REGISTRY, "partners"),
    _route("/v1/territories", REGISTRY, "partners"),
    _route("/v1/compliance", REGISTRY, "partners"),
    _route("/v1/certifications", REGISTRY, "partners"),
    _route("/v1/agreements", REGISTRY, "partners"),
    _route("/v1/deal-registrations", REGISTRY, "deal-registrations"),
    _route("/v1/house-accounts", REGISTRY, "deal-registrations"),
    _route("/v1/conflict-cases", REGISTRY, "conflicts"),
    _route("/v1/tiers", REGISTRY, "tiers"),
    # every operation under /v1/scores reads (the batch is a POST only for its body of up to 10,000 ids)
    _read_only_route("/v1/scores", SCORING, "scoring"),
    _route("/v1/evaluation-models", SCORING, "scoring"),
    _route("/v1/assessments", SCORING, "scoring"),
    _route("/v1/improvement-plans", SCORING, "scoring"),
    _route("/v1/tier-recommendations", SCORING, "scoring"),
    _route("/v1/health-signals", SCORING, "scoring"),
    _route("/v1/programmes", INCENTIVES, "incentives"),
    _route("/v1/calculation-runs", INCENTIVES, "incentives"),
    _route("/v1/payouts", INCENTIVES, "incentives"),
    _route("/v1/statements", INCENTIVES, "incentives"),
    _route("/v1/adjustments", INCENTIVES, "incentives"),
    _route("/v1/payables", INCENTIVES, "incentives"),
    _route("/v1/backtests", INCENTIVES, "incentives"),
    _route("/v1/mdf", INCENTIVES, "incentives"),
    _route("/v1/webhooks", ANALYTICS, None),
    _route("/v1/sales", ANALYTICS, "analytics"),
    _route("/v1/fx-rates", ANALYTICS, "analytics"),
    _route("/v1/acquisition-spend", ANALYTICS, "analytics"),
    _route("/v1/kpis", ANALYTICS, "analytics"),
    _route("/v1/surveys", ANALYTICS, "analytics"),
    _route("/v1/targets", ANALYTICS, "analytics"),
    _route("/v1/exports", ANALYTICS, "analytics"),
    _route("/v1/leaderboards", ANALYTICS, "analytics"),
    _route("/v1/market", ANALYTICS, "analytics"),
    _route("/v1/anomaly-flags", ANALYTICS, "analytics"),
    _route("/v1/ecosystem", ANALYTICS, "analytics"),
    *DEAD_LETTER_ROUTES,
)
PUBLIC_PREFIXES: tuple[str, ...] = tuple(route.prefix for route in ROUTES if route.public)
# Operations a caller without an API key may also use, each limited per client address on its own: the
# public partner application form. With a key, they are checked like any other call.
OPEN_TO_APPLICANTS: frozenset[tuple[str, str]] = frozenset({("POST", "/v1/applications")})
_BY_SEGMENT: dict[str, Route] = {route.prefix.removeprefix("/v1/"): route for route in ROUTES}


def match(path: str) -> Route | None:
    """The route owning `path`, or None when the gateway serves it itself (or nobody does: a 404)."""
    if not path.startswith("/v1/"):
        return None
    end = path.find("/", 4)
    route = _BY_SEGMENT.get(path[4:] if end == -1 else path[4:end])
    if route is not None or end == -1:
        return route
    second_end = path.find("/", end + 1)
    return _BY_SEGMENT.get(path[4:] if second_end == -1 else path[4:second_end])

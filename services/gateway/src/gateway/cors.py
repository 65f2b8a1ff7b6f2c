"""CORS for browser front ends (partner portal, channel-manager console) on the configured origins only.

Bearer keys, not cookies, so credentials are not allowed; every answer header the document declares is
exposed, so a front end can read it (tests/test_openapi_truthful.py keeps the two in step).
"""

from __future__ import annotations

from typing import Any

ALLOW_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
)
EXPOSE_HEADERS = (
    "X-Request-ID",
    "ETag",
    "Location",
    "Retry-After",
    "Idempotent-Replayed",
    "Content-Disposition",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
)
MAX_AGE_SECONDS = 600


def cors_options(origins: list[str]) -> dict[str, Any]:
    """Keyword arguments of Starlette's CORSMiddleware."""
    return {
        "allow_origins": origins,
        "allow_methods": ALLOW_METHODS,
        "allow_headers": ALLOW_HEADERS,
        "expose_headers": EXPOSE_HEADERS,
        "allow_credentials": False,
        "max_age": MAX_AGE_SECONDS,
    }

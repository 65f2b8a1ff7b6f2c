"""File uploads streamed through the gateway instead of read whole first: `POST …/imports` (a CSV import
of any size, such as `POST /v1/sales/imports`).

Every other body is read whole before a service is called (bounded by `max_body_bytes` and the body
deadline), so that no pooled connection waits on a slow client. An import cannot be: a 1 GB file is neither
held in memory nor sent within seconds. Its body goes to the service as it arrives, up to
`max_import_body_bytes`, and the body deadline applies to each piece instead of the whole: a piece must come
within `request_body_timeout_seconds` of the one before. The upload holds one upstream connection (and one
slot of the service's in-flight bound) while it lasts.
"""

from __future__ import annotations

IMPORT_SUFFIX = "/imports"


def streams_body(method: str, path: str) -> bool:
    """Whether this request's body is streamed to the service (an import) rather than read whole first."""
    return method == "POST" and path.endswith(IMPORT_SUFFIX)

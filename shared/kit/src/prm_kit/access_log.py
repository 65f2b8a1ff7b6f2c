"""The access log: one JSON line per request, written in batches.

Through structlog's processor chain, with a flushed write per line, an access line cost about as much as the
kit's whole middleware stack. Here a line is one orjson call appended to a list, and the list is written every
0.2 s (or at 1,000 lines, and at shutdown): lines are at most that late. A line has `event` ("request"),
`level`, `timestamp`, `service`, `method`, `path`, `status`, `duration_ms` and `request_id`, as structlog's
would, plus `upstream` for a request the gateway proxied. With `log_format=console` (development) lines go
through structlog as everywhere else.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog

FLUSH_SECONDS = 0.2
_FLUSH_LINES = 1000
_ACCESS_LEVELS = frozenset({"DEBUG", "INFO"})  # access lines are INFO


class AccessLog:
    def __init__(self, *, service: str, json_lines: bool) -> None:
        self._service = service
        self._json_lines = json_lines
        self._lines: list[bytes] = []
        self._structured = structlog.get_logger("access")

    @classmethod
    def configured(cls, *, service: str, enabled: bool, log_level: str, log_format: str) -> AccessLog | None:
        """The access log the settings ask for, or None when it is off or its level is not logged."""
        if not enabled or log_level not in _ACCESS_LEVELS:
            return None
        return cls(service=service, json_lines=log_format == "json")

    def request(
        self,
        *,
        method: str,
        path: str,
        status: int,
        duration_ms: float,
        request_id: str,
        upstream: str | None = None,
    ) -> None:
        if not self._json_lines:
            fields: dict[str, Any] = {"method": method, "path": path, "status": status}
            fields |= {"duration_ms": duration_ms, "request_id": request_id}
            if upstream is not None:
                fields["upstream"] = upstream
            self._structured.info("request", **fields)
            return
        line: dict[str, Any] = {
            "event": "request",
            "level": "info",
            "timestamp": datetime.now(UTC),
            "service": self._service,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "request_id": request_id,
        }
        if upstream is not None:
            line["upstream"] = upstream
        if path.isascii():
            # "…Z", as the kit's structlog timestamps
            self._lines.append(orjson.dumps(line, option=orjson.OPT_UTC_Z))
        else:
            # orjson writes C1 controls as they are, and a terminal acts on them: escaped, as structlog's JSON
            line["timestamp"] = line["timestamp"].isoformat().replace("+00:00", "Z")
            self._lines.append(json.dumps(line).encode("ascii"))
        if len(self._lines) >= _FLUSH_LINES:
            self.flush()

    def flush(self) -> None:
        if not self._lines:
            return
        lines, self._lines = self._lines, []
        stream = sys.stdout  # looked up each time: tests and process managers may swap it
        stream.write(b"\n".join(lines).decode("utf-8") + "\n")
        stream.flush()

    async def run(self) -> None:
        """Flush every FLUSH_SECONDS until cancelled (the app's lifespan runs this)."""
        try:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                self.flush()
        finally:
            self.flush()

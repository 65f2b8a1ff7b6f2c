"""Structured logs: one JSON object per line, carrying the request id of the request being served."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# C0 and C1 control characters and DEL: in a terminal they move the cursor, recolour or erase what an
# operator reads (a decoded path can carry them). JSON escapes them itself; the console format must too.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A traceback keeps its line breaks and indentation, or nobody could read it.
_CONTROL_IN_TRACEBACK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escaped(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def escape_control_characters(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Writes control characters in logged text as `\\xNN`, so a log line cannot act on the terminal."""
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = _escaped(value, _CONTROL_IN_TRACEBACK if key == "exception" else _CONTROL)
    return event_dict


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    # JSON escapes control characters itself and keeps the value exact; the console format must escape them.
    escaping: list[structlog.typing.Processor] = [] if fmt == "json" else [escape_control_characters]
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, *escaping, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    # uvicorn and libraries log through the standard library; render them the same way.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *escaping,
                renderer,
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our middleware writes one access line per request; uvicorn's own would duplicate it. Out of any handler's
    # reach, not just disabled: uvicorn formats each line's arguments whenever `hasHandlers()` says so.
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.disabled = True
    uvicorn_access.handlers[:] = []
    uvicorn_access.propagate = False
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # alembic announces its dialect on every /readyz check otherwise
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger

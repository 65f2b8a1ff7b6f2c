"""Health answers every service gives."""

from typing import Literal

from pydantic import BaseModel


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    service: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    service: str
    database: Literal["ok", "unreachable"]
    migrations: Literal["at_head", "ahead", "behind", "unknown"]
    detail: str | None = None

"""Versions of the records clients change with `If-Match`: every change is a new version, hence a new ETag
(prm_kit.etag). `bump_version` is the one way a version moves."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class Versioned(Protocol):
    version: int
    updated_at: datetime


async def bump_version(session: AsyncSession, record: Versioned, *, at: datetime) -> None:
    """Count a change of `record` made at `at`: its next version and `updated_at`, flushed."""
    record.version += 1
    record.updated_at = at
    await session.flush()

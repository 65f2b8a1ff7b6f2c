"""`SessionDep`: one session per request, committed once when the endpoint has returned."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from prm_kit.db.engine import READ_ONLY

_READING_METHODS = frozenset({"GET", "HEAD"})


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commit before the response is sent, so a 2xx always means the change is stored.

    A GET or HEAD only reads: its session says so (READ_ONLY), so on SQLite it neither waits for nor blocks
    the one writer."""
    factory = request.app.state.session_factory
    async with factory() as session:
        try:
            if request.method in _READING_METHODS:
                await session.connection(execution_options=READ_ONLY)
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": the exit code runs right after the endpoint, before the response leaves.
SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]

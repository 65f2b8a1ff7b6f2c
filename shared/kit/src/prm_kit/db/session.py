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

    A GET or HEAD only reads: on SQLite its session says so (READ_ONLY), so it neither waits for nor blocks the
    one writer."""
    factory = request.app.state.session_factory
    async with factory() as session:
        try:
            # Only SQLite begins a reading transaction differently; elsewhere the connection is simply taken
            # with the first statement (saving a step per request).
            if request.method in _READING_METHODS and session.bind.dialect.name == "sqlite":
                await session.connection(execution_options=READ_ONLY)
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": the exit code runs right after the endpoint, before the response leaves.
SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]


async def end_reading(session: AsyncSession) -> None:
    """End the request's transaction before it calls another service (read, call, then write).

    Only what the reads held is released: SQLite's write lock (every writer begins IMMEDIATE) and PostgreSQL's
    snapshot, so no lock waits on the network. Call it before anything is written; the writes that follow
    run in a new transaction, which the request's session commits as usual.
    """
    await session.commit()

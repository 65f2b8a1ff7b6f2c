"""`SessionDep`: one session per request, committed once when the endpoint has returned."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commit before the response is sent, so a 2xx always means the change is stored."""
    factory = request.app.state.session_factory
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": the exit code runs right after the endpoint, before the response leaves.
SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]

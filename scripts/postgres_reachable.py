"""Exit 0 if PostgreSQL answers at PRM_TEST_POSTGRES_URL within a few seconds, 1 otherwise (used by make test)."""

import asyncio
import os
import sys

from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def answers(url: str) -> bool:
    engine = create_async_engine(url, poolclass=pool.NullPool, connect_args={"timeout": 5})
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "not reachable"; say which
        print(f"PostgreSQL check failed: {type(error).__name__}: {error}", file=sys.stderr)  # noqa: T201
        return False
    finally:
        await engine.dispose()
    return True


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(answers(os.environ.get("PRM_TEST_POSTGRES_URL", DEFAULT_URL))) else 1)

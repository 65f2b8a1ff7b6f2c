"""One async engine and session factory per service process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, pool
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

_SQLITE_READ_ONLY = "prm_sqlite_read_only"
# Execution options of a connection that only reads (on SQLite it then does not take the write lock).
READ_ONLY: dict[str, Any] = {_SQLITE_READ_ONLY: True}


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False, pooled: bool = True) -> AsyncEngine:
    """`pooled=False`: a connection per use, closed after (tests that hold one connection themselves)."""
    if url.startswith("sqlite"):
        extra: dict[str, Any] = {} if pooled else {"poolclass": pool.NullPool}
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, **extra)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    # No `pool_pre_ping`: on asyncpg it is three round trips (BEGIN, a ping, ROLLBACK) on every checkout, as many
    # as a small request's own. A connection the server dropped instead fails its first statement; SQLAlchemy
    # sees the disconnect, invalidates it and every pooled connection as old, that request is a 503 (see
    # `prm_kit.errors`) and the next one gets a fresh connection.
    sizing: dict[str, Any] = (
        {"pool_size": pool_size, "max_overflow": pool_size, "pool_recycle": 1800}
        if pooled
        else {"poolclass": pool.NullPool}
    )
    return create_async_engine(
        url,
        echo=echo,
        **sizing,
        # fail fast when the server is unreachable instead of asyncpg's 60 s default
        connect_args={"timeout": 5},
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 driver, decide where transactions begin, so that
    # SAVEPOINTs and transactional DDL work (the recipe in SQLAlchemy's SQLite dialect docs).
    dbapi_connection.isolation_level = None
    # WAL lets readers proceed during a write; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # A 2xx means the data is durably stored: FULL syncs the WAL at each commit, where NORMAL leaves the last
    # commits to be lost when the machine (not just the process) stops before the next checkpoint.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
    # SQLite's own lower() folds ASCII only, so `lower(name) LIKE '%öresund%'` never finds "Öresund" where
    # PostgreSQL does. Python's is Unicode-aware and deterministic, as the expression indexes on lower(...)
    # require: every connection that writes them must register it (a database written without it needs its
    # indexes rebuilt, as registry0011 does).
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value: Any) -> Any:
    """SQL lower() on SQLite: text lower-cased as Python does, NULL as NULL, anything else (no column it is
    used on holds a number or a blob) as it is."""
    return value.lower() if isinstance(value, str) else value


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front. A deferred transaction that reads, then writes after another
    # connection committed (the outbox relay, a sweep) fails at once with "database is locked" whatever the
    # busy timeout; an immediate one waits its turn. SQLite has one writer at a time either way. Connections
    # that only read say so (READ_ONLY) and neither wait for nor block writers.
    deferred = connection.get_execution_options().get(_SQLITE_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

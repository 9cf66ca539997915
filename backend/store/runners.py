"""Where request-scoped database work runs, for code that must be cheap per request (SCIM).

A unit of work is a function of a Core ``Connection`` that runs inside one transaction. The
endpoint says whether it reads or writes, and whether a read is *bounded* (a primary-key or
unique-index look-up, a keyset page): the runner picks the thread and the transaction.

- ``SqliteRunner``: SQLite is in the process, so a bounded read costs microseconds; it runs on
  the event loop itself, on a connection of that thread's own, with no hop to a worker thread
  and no transaction of its own (each statement reads a consistent snapshot).
  Other reads (open-ended filters) go to the thread pool, so one slow query never stalls the
  loop. Writes go to the ``GroupCommitWriter``: many requests per durable commit, bounded ones
  run on the loop between the writer thread's BEGIN and COMMIT.
- ``PooledRunner`` (PostgreSQL): every unit on the thread pool with a pooled connection and a
  transaction of its own; the database serves concurrent writers itself.

``open_runner(db)`` picks one for the database. ``aclose()`` (on the loop) finishes the queued
writes; ``close()`` releases the connections once nothing runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool

from backend.store.db import Database
from backend.store.group_commit import GroupCommitWriter

__all__ = ["PooledRunner", "Runner", "SqliteRunner", "open_runner"]

T = TypeVar("T")
Unit = Callable[[sa.Connection], T]


class Runner(Protocol):
    async def read(self, fn: Unit[T], *, bounded: bool = False) -> T: ...

    async def write(self, fn: Unit[T], *, bounded: bool = False) -> T: ...

    async def aclose(self) -> None: ...

    def close(self) -> None: ...


def open_runner(db: Database) -> Runner:
    return SqliteRunner(db.engine) if db.is_sqlite else PooledRunner(db.engine)


def _in_transaction(engine: sa.Engine, fn: Unit[T]) -> T:
    with engine.connect() as conn, conn.begin():
        return fn(conn)


class PooledRunner:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    async def read(self, fn: Unit[T], *, bounded: bool = False) -> T:
        return await run_in_threadpool(_in_transaction, self._engine, fn)

    async def write(self, fn: Unit[T], *, bounded: bool = False) -> T:
        return await run_in_threadpool(_in_transaction, self._engine, fn)

    async def aclose(self) -> None:
        pass

    def close(self) -> None:
        pass


class SqliteRunner:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._local = threading.local()  # the loop thread's own reading connection
        self._readers: list[sa.Connection] = []
        self._lock = threading.Lock()
        self.writer = GroupCommitWriter(engine)

    async def read(self, fn: Unit[T], *, bounded: bool = False) -> T:
        if not bounded:
            return await run_in_threadpool(_in_transaction, self._engine, fn)
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._engine.connect()
            with self._lock:
                self._readers.append(conn)
        # No transaction around a bounded read: each of its one or two statements reads its
        # own WAL snapshot, which never waits for the writer. (BEGIN and ROLLBACK would cost
        # as much as the reads; what could change between the token check and the read is
        # what could change just after it.) A Core statement makes SQLAlchemy begin one.
        try:
            return fn(conn)
        finally:
            if conn.in_transaction():
                conn.rollback()

    async def write(self, fn: Unit[T], *, bounded: bool = False) -> T:
        return await self.writer.run(fn, bounded=bounded)

    async def aclose(self) -> None:
        await self.writer.aclose()

    def close(self) -> None:
        self.writer.close()
        with self._lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()  # returned to the pool (closing from another thread is allowed here)

"""Group commit for SQLite: one writer thread runs the queued write jobs of many requests in one
transaction, each job in its own savepoint, and commits once for all of them.

SQLite has one writer at a time, and a durable commit (``synchronous=FULL`` in WAL) costs an
fsync. Sixteen clients provisioning users would otherwise queue for the write lock and pay
sixteen fsyncs; here they share one, as PostgreSQL's own group commit would have them.

The rules that keep it a transaction per request, as far as anyone can see:

- A job is a function of a Core ``Connection``. It runs between ``SAVEPOINT`` and ``RELEASE``;
  if it raises, its savepoint is rolled back, it alone fails, and the batch goes on.
- Results are handed back only after ``COMMIT`` returned: a client never hears "created" for a
  row that is not on disk. If the commit fails, every job of the batch fails with that error
  and none of them happened.
- Jobs run in arrival order, so two requests from one client keep their order.

Only the writer thread touches its connection. ``run`` is called on an event loop and awaits
the job's result; ``call`` is the same for a caller on another thread (the CLI, tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future as ThreadFuture
from typing import Any, TypeVar

import sqlalchemy as sa

__all__ = ["GroupCommitWriter", "WriterClosed"]

T = TypeVar("T")
Job = Callable[[sa.Connection], Any]
MAX_BATCH = 64
log = logging.getLogger(__name__)


class WriterClosed(RuntimeError):
    """The writer was closed (the process is shutting down)."""


class _Pending:
    __slots__ = ("fn", "loop", "future")

    def __init__(self, fn: Job, loop: asyncio.AbstractEventLoop | None, future: Any) -> None:
        self.fn, self.loop, self.future = fn, loop, future


class GroupCommitWriter:
    def __init__(self, engine: sa.Engine, *, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._jobs: deque[_Pending] = deque()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.batches = 0  # for tests and benchmarks: how many commits served how many jobs
        self.jobs = 0

    async def run(self, fn: Callable[[sa.Connection], T]) -> T:
        """Run ``fn`` in the next batch; its result once the batch is committed."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._submit(_Pending(fn, loop, future))
        return await future

    def call(self, fn: Callable[[sa.Connection], T], timeout: float | None = None) -> T:
        """``run`` for a caller that is not on an event loop."""
        future: ThreadFuture[T] = ThreadFuture()
        self._submit(_Pending(fn, None, future))
        return future.result(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Finish the queued jobs, then stop the thread."""
        with self._cv:
            self._closed = True
            self._cv.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    # -- the writer thread --------------------------------------------------------------------

    def _submit(self, job: _Pending) -> None:
        with self._cv:
            if self._closed:
                raise WriterClosed("the database writer is shut down")
            self._jobs.append(job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._main, name="quickture-db-writer", daemon=True
                )
                self._thread.start()
            self._cv.notify()

    def _main(self) -> None:
        conn: sa.Connection | None = None
        while True:
            with self._cv:
                while not self._jobs and not self._closed:
                    self._cv.wait()
                if not self._jobs:
                    break
                n = min(len(self._jobs), self._max_batch)
                batch = [self._jobs.popleft() for _ in range(n)]
            try:
                if conn is None:
                    conn = self._engine.connect().execution_options(quickture_immediate=True)
                outcomes = _run_batch(conn, batch)
            except Exception as exc:  # BEGIN or COMMIT failed: none of the batch happened
                log.warning("a batch of %d database writes failed", len(batch), exc_info=True)
                outcomes = [(False, exc)] * len(batch)
                if conn is not None:
                    conn.invalidate()  # start the next batch on a fresh connection
                    conn.close()
                    conn = None
            self.batches += 1
            self.jobs += len(batch)
            _deliver(batch, outcomes)
        if conn is not None:
            conn.close()


def _run_batch(conn: sa.Connection, batch: list[_Pending]) -> list[tuple[bool, Any]]:
    outcomes: list[tuple[bool, Any]] = []
    with conn.begin():
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            for job in batch:
                cursor.execute("SAVEPOINT job")
                try:
                    value = job.fn(conn)
                except Exception as exc:
                    cursor.execute("ROLLBACK TO job")
                    cursor.execute("RELEASE job")
                    outcomes.append((False, exc))
                else:
                    cursor.execute("RELEASE job")
                    outcomes.append((True, value))
        finally:
            cursor.close()
    return outcomes


def _deliver(batch: list[_Pending], outcomes: list[tuple[bool, Any]]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, bool, Any]]] = {}
    for job, (ok, value) in zip(batch, outcomes, strict=True):
        if job.loop is None:
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)
        else:
            by_loop.setdefault(job.loop, []).append((job.future, ok, value))
    for loop, items in by_loop.items():  # one wake-up per event loop, not one per job
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_resolve, items)


def _resolve(items: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in items:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

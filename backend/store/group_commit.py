"""Group commit for SQLite: the queued write jobs of many requests run in one transaction, each
job in its own savepoint, and commit once for all of them.

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
- While the batch is open, its jobs share a memo (``compiled.batch_memo``) for what nothing can
  change before the commit: the batch holds the write lock (the SCIM token check of a create).
- Rows nothing in the batch reads (audit rows) can be deferred (``Statement.defer``): they
  are written for the whole batch in one ``executemany`` just before ``COMMIT``, and a job
  that fails takes its own with it.

Where things run: the batch is driven by a task on the event loop. ``BEGIN IMMEDIATE`` (which
may wait for another process's write lock) and ``COMMIT`` (the fsync) run on one worker thread
of the writer's own, so the loop never waits on a lock or a disk. A *bounded* job (a few
statements on a few rows: a SCIM user's create, update, deactivate) runs on the loop itself,
between those two hops: handing each one to a thread would cost more CPU than the job (the GIL
changing hands at every SQLite call); other jobs run on the worker thread. Jobs that arrive
while a batch commits form the next batch. Only one batch is open at a time, on one connection,
so a writer's callers share one event loop (a uvicorn worker's).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa

from backend.store.compiled import BATCH_MEMO, DEFERRED, run_deferred

__all__ = ["GroupCommitWriter", "WriterClosed"]

T = TypeVar("T")
Job = Callable[[sa.Connection], Any]
MAX_BATCH = 64
log = logging.getLogger(__name__)


class WriterClosed(RuntimeError):
    """The writer was closed (the process is shutting down)."""


class _Pending:
    __slots__ = ("fn", "bounded", "future")

    def __init__(self, fn: Job, bounded: bool, future: asyncio.Future[Any]) -> None:
        self.fn, self.bounded, self.future = fn, bounded, future


class GroupCommitWriter:
    def __init__(self, engine: sa.Engine, *, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._jobs: deque[_Pending] = deque()
        self._drainer: asyncio.Task[None] | None = None
        self._conn: sa.Connection | None = None
        self._thread: ThreadPoolExecutor | None = ThreadPoolExecutor(
            1, thread_name_prefix="quickture-db-writer"
        )
        self._closed = False
        self.batches = 0  # for tests and benchmarks: how many commits served how many jobs
        self.jobs = 0

    async def run(self, fn: Callable[[sa.Connection], T], *, bounded: bool = False) -> T:
        """Run ``fn`` in the next batch (on the loop if ``bounded``, else on the writer's
        thread); its result once the batch is committed."""
        if self._closed:
            raise WriterClosed("the database writer is shut down")
        loop = asyncio.get_running_loop()
        if self._drainer is not None and self._drainer.get_loop() is not loop:
            # One connection, one batch at a time: all of a writer's callers share one loop.
            raise RuntimeError("this database writer is in use by another event loop")
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.append(_Pending(fn, bounded, future))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await future

    async def aclose(self) -> None:
        """Refuse new jobs, finish the queued ones, release the connection and the thread."""
        self._closed = True
        if self._drainer is not None:
            await asyncio.shield(self._drainer)
        self.close()

    def close(self) -> None:
        """``aclose`` for a caller off the loop, once nothing is queued (tests, shutdown)."""
        self._closed = True
        if self._thread is not None:
            self._thread.submit(self._release).result()
            self._thread.shutdown()
            self._thread = None

    # -- the batches --------------------------------------------------------------------------

    @property
    def _pool(self) -> ThreadPoolExecutor:
        if self._thread is None:
            raise WriterClosed("the database writer is shut down")
        return self._thread

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._jobs:
                await self._batch(loop)
        finally:
            self._drainer = None

    async def _batch(self, loop: asyncio.AbstractEventLoop) -> None:
        batch: list[_Pending] = []
        try:
            tx = await loop.run_in_executor(self._pool, self._begin)
            batch = self._take()  # after BEGIN: what arrived meanwhile joins this batch
            outcomes = [await self._job(loop, job) for job in batch]
            await loop.run_in_executor(self._pool, self._commit, tx)
        except Exception as exc:  # BEGIN or COMMIT failed: none of the batch happened
            if not batch:  # BEGIN: the jobs waiting for it fail rather than wait forever
                batch = self._take()
            log.warning("a batch of %d database writes failed", len(batch), exc_info=True)
            outcomes = [(False, exc)] * len(batch)
            await loop.run_in_executor(self._pool, self._discard)
        self.batches += 1
        self.jobs += len(batch)
        for job, (ok, value) in zip(batch, outcomes, strict=True):
            if job.future.cancelled():
                continue
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)

    def _take(self) -> list[_Pending]:
        return [self._jobs.popleft() for _ in range(min(len(self._jobs), self._max_batch))]

    async def _job(self, loop: asyncio.AbstractEventLoop, job: _Pending) -> tuple[bool, Any]:
        if job.bounded:
            return self._savepoint(job.fn)
        return await loop.run_in_executor(self._pool, self._savepoint, job.fn)

    def _savepoint(self, fn: Job) -> tuple[bool, Any]:
        conn = self._conn
        assert conn is not None
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        deferred = conn.info[DEFERRED]
        mark = len(deferred)
        dbapi.execute("SAVEPOINT job")
        try:
            value = fn(conn)
        except Exception as exc:
            dbapi.execute("ROLLBACK TO job")
            dbapi.execute("RELEASE job")
            del deferred[mark:]  # what the job deferred goes with the rest of it
            return False, exc
        dbapi.execute("RELEASE job")
        return True, value

    # -- on the writer's thread ---------------------------------------------------------------

    def _begin(self) -> sa.RootTransaction:
        if self._conn is None:
            self._conn = self._engine.connect().execution_options(quickture_immediate=True)
        tx = self._conn.begin()
        self._conn.info[DEFERRED] = []  # Statement.defer appends here
        self._conn.info[BATCH_MEMO] = {}  # compiled.batch_memo
        return tx

    def _commit(self, tx: sa.RootTransaction) -> None:
        """The batch's deferred statements (its audit rows), then the one commit."""
        assert self._conn is not None
        self._conn.info.pop(BATCH_MEMO)
        run_deferred(self._conn, self._conn.info.pop(DEFERRED))
        tx.commit()

    def _discard(self) -> None:
        """After a failed BEGIN or COMMIT: the next batch starts on a fresh connection."""
        if self._conn is not None:
            self._conn.invalidate()
            self._conn.close()
            self._conn = None

    def _release(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

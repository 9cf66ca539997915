"""The SQLite group-commit writer: many jobs, one transaction, each job isolated by its own
savepoint, results only after the commit, arrival order kept; bounded jobs on the loop, others
and the BEGIN/COMMIT on the writer's thread, so the loop never waits on a lock or a disk."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.store.compiled import Statement, batch_memo
from backend.store.db import Database
from backend.store.group_commit import GroupCommitWriter, WriterClosed


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'gc.db'}")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE parent (id TEXT PRIMARY KEY)")
        conn.exec_driver_sql(
            "CREATE TABLE child (id TEXT PRIMARY KEY, "
            "pid TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
        )
    yield db
    db.dispose()


def insert(table: str, key: str, pid: str | None = None):  # type: ignore[no-untyped-def]
    def job(conn: sa.Connection) -> str:
        if table == "child":
            conn.execute(
                sa.text("INSERT INTO child (id, pid) VALUES (:k, :p)"), {"k": key, "p": pid}
            )
        else:
            conn.execute(sa.text(f"INSERT INTO {table} (id) VALUES (:k)"), {"k": key})
        return key

    return job


@pytest.fixture
async def writer(db: Database) -> AsyncIterator[GroupCommitWriter]:
    w = GroupCommitWriter(db.engine)
    yield w
    await w.aclose()  # a second close is a no-op: tests may close it themselves


def holding_job() -> tuple[Callable[[sa.Connection], str], threading.Event, threading.Event]:
    """An unbounded job (on the writer's thread) that holds its batch open until released."""
    started, release = threading.Event(), threading.Event()

    def hold(conn: sa.Connection) -> str:
        started.set()
        assert release.wait(10)
        return "held"

    return hold, started, release


def keys(db: Database, table: str) -> list[str]:
    with db.engine.connect() as conn:
        return sorted(conn.execute(sa.text(f"SELECT id FROM {table}")).scalars())


async def test_queued_jobs_share_one_commit_and_a_failing_job_fails_alone(
    db: Database, writer: GroupCommitWriter
) -> None:
    jobs = [insert("parent", f"k{i}") for i in range(5)] + [insert("parent", "k0")]
    results = await asyncio.gather(
        *(writer.run(j, bounded=i % 2 == 0) for i, j in enumerate(jobs)),
        return_exceptions=True,
    )
    assert results[:5] == ["k0", "k1", "k2", "k3", "k4"]
    assert isinstance(results[5], sa.exc.IntegrityError)  # the duplicate, alone
    assert keys(db, "parent") == ["k0", "k1", "k2", "k3", "k4"]
    assert (writer.batches, writer.jobs) == (1, 6)  # one commit for all six


async def test_jobs_arriving_during_a_batch_form_the_next_and_the_loop_goes_on(
    db: Database, writer: GroupCommitWriter
) -> None:
    hold, started, release = holding_job()
    try:
        first = asyncio.ensure_future(writer.run(hold))
        while not started.is_set():
            await asyncio.sleep(0.01)  # the loop is free while the job runs
        later = [asyncio.ensure_future(writer.run(insert("parent", f"n{i}"), bounded=True))
                 for i in range(4)]  # fmt: skip
        await asyncio.sleep(0.05)
        assert not any(f.done() for f in later) and keys(db, "parent") == []
        release.set()
        assert await first == "held"
        assert await asyncio.gather(*later) == ["n0", "n1", "n2", "n3"]
        assert (writer.batches, writer.jobs) == (2, 5)
    finally:
        release.set()


async def test_bounded_jobs_run_on_the_loop_others_on_the_writer_thread(
    writer: GroupCommitWriter,
) -> None:
    here = threading.get_ident()
    on_loop = await writer.run(lambda conn: threading.get_ident(), bounded=True)
    off_loop = await writer.run(lambda conn: threading.get_ident())
    assert on_loop == here and off_loop != here


async def test_the_loop_is_free_while_begin_waits_for_another_writer(
    db: Database, writer: GroupCommitWriter
) -> None:
    other = db.engine.raw_connection()
    try:
        other.driver_connection.execute("BEGIN IMMEDIATE")  # another process's write lock
        job = asyncio.ensure_future(writer.run(insert("parent", "w"), bounded=True))
        t0 = time.monotonic()
        await asyncio.sleep(0.2)
        assert time.monotonic() - t0 < 1.0 and not job.done()  # the loop ran meanwhile
        other.driver_connection.execute("COMMIT")
        assert await job == "w"
    finally:
        other.close()


async def test_a_failed_commit_fails_every_job_of_its_batch_and_keeps_none(
    db: Database, writer: GroupCommitWriter
) -> None:
    results = await asyncio.gather(
        writer.run(insert("parent", "p1"), bounded=True),
        writer.run(insert("child", "c1", pid="nobody")),
        return_exceptions=True,
    )
    # The deferred foreign key fails at COMMIT: nothing of the batch happened.
    assert all(isinstance(r, sa.exc.IntegrityError) for r in results), results
    assert keys(db, "parent") == [] and keys(db, "child") == []
    # The writer goes on with a fresh connection.
    assert await writer.run(insert("parent", "p2"), bounded=True) == "p2"
    assert keys(db, "parent") == ["p2"]


async def test_jobs_run_in_arrival_order_and_results_come_after_the_commit(
    db: Database, writer: GroupCommitWriter
) -> None:
    seen: list[int] = []

    def job(i: int):  # type: ignore[no-untyped-def]
        def run(conn: sa.Connection) -> int:
            seen.append(i)
            conn.execute(sa.text("INSERT INTO parent (id) VALUES (:k)"), {"k": f"o{i}"})
            return i

        return run

    results = await asyncio.gather(*(writer.run(job(i), bounded=i % 3 == 0)
                                     for i in range(20)))  # fmt: skip
    assert results == list(range(20)) and seen == list(range(20))
    # Another connection sees every row as soon as the callers have their results.
    assert len(keys(db, "parent")) == 20


async def test_aclose_finishes_the_queue_and_refuses_new_jobs(
    db: Database, writer: GroupCommitWriter
) -> None:
    queued = asyncio.ensure_future(writer.run(insert("parent", "a"), bounded=True))
    await asyncio.sleep(0)  # queued, not yet committed
    await writer.aclose()
    assert await queued == "a"
    with pytest.raises(WriterClosed):
        await writer.run(insert("parent", "b"))
    assert keys(db, "parent") == ["a"]


async def test_a_second_event_loop_is_refused_while_the_first_writes(
    db: Database, writer: GroupCommitWriter
) -> None:
    hold, started, release = holding_job()
    other_loop = threading.Thread(target=lambda: asyncio.run(writer.run(hold)), daemon=True)
    other_loop.start()
    try:
        assert started.wait(10)
        with pytest.raises(RuntimeError, match="another event loop"):
            await writer.run(insert("parent", "x"), bounded=True)
    finally:
        release.set()
        other_loop.join(10)
    assert await writer.run(insert("parent", "y"), bounded=True) == "y"  # its loop is done
    await writer.aclose()
    assert keys(db, "parent") == ["y"]


# A deferred insert (as audit rows are): run for the whole batch just before its commit.
_LOGGED = Statement(
    sa.insert(sa.table("logged", sa.column("id"), sa.column("what"))).values(
        id=sa.bindparam("id"), what=sa.bindparam("what")
    )
)


def logging_job(key: str, *, fail: bool = False):  # type: ignore[no-untyped-def]
    def job(conn: sa.Connection) -> str:
        conn.execute(sa.text("INSERT INTO parent (id) VALUES (:k)"), {"k": key})
        _LOGGED.defer(conn, id=f"log-{key}", what=key)
        if fail:
            raise ValueError(f"{key} fails after deferring its row")
        return key

    return job


def logged(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT what FROM logged ORDER BY rowid")).scalars())


async def test_deferred_rows_are_written_in_order_before_the_commit_and_leave_with_their_job(
    db: Database, writer: GroupCommitWriter
) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE logged (id TEXT PRIMARY KEY, what TEXT)")
        _LOGGED.defer(conn, id="outside", what="outside")  # in no batch: written at once
        assert conn.execute(sa.text("SELECT count(*) FROM logged")).scalar() == 1
    jobs = [logging_job(f"j{i}", fail=i == 2) for i in range(5)]
    results = await asyncio.gather(
        *(writer.run(j, bounded=i % 2 == 0) for i, j in enumerate(jobs)), return_exceptions=True
    )
    assert results[:2] == ["j0", "j1"] and results[3:] == ["j3", "j4"]
    assert isinstance(results[2], ValueError)
    assert logged(db) == ["outside", "j0", "j1", "j3", "j4"]
    assert keys(db, "parent") == ["j0", "j1", "j3", "j4"]


async def test_a_failing_deferred_row_fails_its_whole_batch(
    db: Database, writer: GroupCommitWriter
) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE logged (id TEXT PRIMARY KEY, what TEXT)")
        conn.exec_driver_sql("INSERT INTO logged VALUES ('log-taken', 'before')")
    results = await asyncio.gather(
        writer.run(logging_job("free"), bounded=True),
        writer.run(logging_job("taken"), bounded=True),  # its deferred row's key is in use
        return_exceptions=True,
    )
    # The DBAPI's own error: deferred statements run on its cursor, as compiled ones do.
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results), results
    assert keys(db, "parent") == [] and logged(db) == ["before"]
    assert await writer.run(logging_job("after"), bounded=True) == "after"
    assert logged(db) == ["before", "after"]


async def test_the_jobs_of_one_batch_share_a_memo_that_ends_with_it(
    db: Database, writer: GroupCommitWriter
) -> None:
    hold, started, release = holding_job()
    seen: list[dict[object, object] | None] = []

    def remember(conn: sa.Connection) -> None:
        memo = batch_memo(conn)
        seen.append(memo)
        if memo is not None:
            memo.setdefault("n", 0)
            memo["n"] += 1  # type: ignore[operator]

    try:
        first = asyncio.ensure_future(writer.run(hold))
        while not started.is_set():
            await asyncio.sleep(0.01)  # allow-sleep
        batch = [asyncio.ensure_future(writer.run(remember, bounded=i % 2 == 0)) for i in range(3)]
        release.set()
        await first
        await asyncio.gather(*batch)
        await writer.run(remember)  # the next batch
    finally:
        release.set()
    assert seen[0] is seen[1] is seen[2] and seen[0] == {"n": 3}
    assert seen[3] == {"n": 1} and seen[3] is not seen[0]
    with db.engine.connect() as conn:
        assert batch_memo(conn) is None  # outside a batch: nothing to share

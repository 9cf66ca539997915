"""The SQLite group-commit writer: many jobs, one transaction, each job isolated by its own
savepoint, results only after the commit, arrival order kept."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

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


def keys(db: Database, table: str) -> list[str]:
    with db.engine.connect() as conn:
        return sorted(conn.execute(sa.text(f"SELECT id FROM {table}")).scalars())


def blocked_first_job(writer: GroupCommitWriter) -> tuple[threading.Event, threading.Event]:
    """Occupy the writer with a job that waits, so the next jobs queue up as one batch."""
    started, release = threading.Event(), threading.Event()

    def hold(conn: sa.Connection) -> None:
        started.set()
        release.wait(10)

    threading.Thread(target=writer.call, args=(hold,), daemon=True).start()
    assert started.wait(10)
    return started, release


async def test_queued_jobs_share_one_commit_and_a_failing_job_fails_alone(db: Database) -> None:
    writer = GroupCommitWriter(db.engine)
    try:
        _, release = blocked_first_job(writer)
        jobs = [insert("parent", f"k{i}") for i in range(5)] + [insert("parent", "k0")]
        futures = [asyncio.ensure_future(writer.run(j)) for j in jobs]
        await asyncio.sleep(0.05)  # let every job reach the queue
        release.set()
        results = await asyncio.gather(*futures, return_exceptions=True)
        assert results[:5] == ["k0", "k1", "k2", "k3", "k4"]
        assert isinstance(results[5], sa.exc.IntegrityError)  # the duplicate, alone
        assert keys(db, "parent") == ["k0", "k1", "k2", "k3", "k4"]
        assert (writer.batches, writer.jobs) == (2, 7)  # the holder, then one batch of six
    finally:
        writer.close()


async def test_a_failed_commit_fails_every_job_of_its_batch_and_keeps_none(db: Database) -> None:
    writer = GroupCommitWriter(db.engine)
    try:
        _, release = blocked_first_job(writer)
        good = asyncio.ensure_future(writer.run(insert("parent", "p1")))
        orphan = asyncio.ensure_future(writer.run(insert("child", "c1", pid="nobody")))
        await asyncio.sleep(0.05)
        release.set()
        results = await asyncio.gather(good, orphan, return_exceptions=True)
        # The deferred foreign key fails at COMMIT: nothing of the batch happened.
        assert all(isinstance(r, sa.exc.IntegrityError) for r in results), results
        assert keys(db, "parent") == [] and keys(db, "child") == []
        # The writer goes on with a fresh connection.
        assert await writer.run(insert("parent", "p2")) == "p2"
        assert keys(db, "parent") == ["p2"]
    finally:
        writer.close()


async def test_jobs_run_in_arrival_order_and_results_come_after_the_commit(db: Database) -> None:
    writer = GroupCommitWriter(db.engine)
    seen: list[int] = []

    def job(i: int):  # type: ignore[no-untyped-def]
        def run(conn: sa.Connection) -> int:
            seen.append(i)
            conn.execute(sa.text("INSERT INTO parent (id) VALUES (:k)"), {"k": f"o{i}"})
            return i

        return run

    try:
        results = await asyncio.gather(*(writer.run(job(i)) for i in range(20)))
        assert results == list(range(20)) and seen == list(range(20))
        # Another connection sees every row as soon as the callers have their results.
        assert len(keys(db, "parent")) == 20
    finally:
        writer.close()


def test_close_finishes_the_queue_and_refuses_new_jobs(db: Database) -> None:
    writer = GroupCommitWriter(db.engine)
    assert writer.call(insert("parent", "a"), timeout=10) == "a"
    writer.close()
    with pytest.raises(WriterClosed):
        writer.call(insert("parent", "b"))
    assert keys(db, "parent") == ["a"]

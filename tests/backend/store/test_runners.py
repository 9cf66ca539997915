"""Where units of work run: on SQLite, bounded reads on the event loop's own thread, other
reads on the pool, writes on the writer thread; on PostgreSQL, everything on the pool."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from backend.runtime import Runtime
from backend.store.runners import PooledRunner, SqliteRunner, open_runner


def thread_and_one(conn: sa.Connection) -> tuple[int, int]:
    return threading.get_ident(), int(conn.execute(sa.text("SELECT 1")).scalar_one())


async def test_sqlite_threads(runtime: Runtime) -> None:
    runner = open_runner(runtime.db)
    assert isinstance(runner, SqliteRunner)
    loop_thread = threading.get_ident()
    try:
        bounded = await runner.read(thread_and_one, bounded=True)
        other = await runner.read(thread_and_one)
        written = await runner.write(thread_and_one)
        assert bounded == (loop_thread, 1)
        assert other[0] != loop_thread and other[1] == 1
        assert written[0] not in (loop_thread, other[0]) and written[1] == 1
        # A bounded read that runs a Core statement leaves no transaction open behind it.
        await runner.read(thread_and_one, bounded=True)
        assert not runner._local.conn.in_transaction()
    finally:
        runner.close()


async def test_reads_and_writes_on_either_database(any_runtime: Runtime) -> None:
    runner = open_runner(any_runtime.db)
    expected = SqliteRunner if any_runtime.db.is_sqlite else PooledRunner
    assert isinstance(runner, expected)

    def write(conn: sa.Connection) -> None:
        conn.execute(
            sa.text("INSERT INTO audit_log (at, actor, action, target_type, target_id, detail) "
                    "VALUES (CURRENT_TIMESTAMP, 'test', 'probe', 'x', 'y', '{}')")
        )  # fmt: skip

    def count(conn: sa.Connection) -> int:
        return int(conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'probe'"))
                   .scalar_one())  # fmt: skip

    try:
        await runner.write(write)
        assert await runner.read(count, bounded=True) == 1
        assert await runner.read(count) == 1
    finally:
        runner.close()

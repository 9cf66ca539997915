"""Online backup of the SQLite store: consistent while another process writes, owner-only,
never a half-written file under the target name, a clear refusal on PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

import pytest

from backend.ops import OpsError, backup_sqlite
from backend.runtime import Runtime

EXE = str(Path(sys.executable).with_name("quickture-backend"))


def count(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_backup_makes_a_checked_self_contained_owner_only_file(
    runtime: Runtime, tmp_path: Path
) -> None:
    from backend.domain import orgs

    with runtime.db.write() as s:
        orgs.create_org(s, "Acme Post", ["acme.test"], actor="test")
    target = tmp_path / "backup.db"
    result = backup_sqlite(runtime.settings.database_url, target)
    assert result.path == str(target.resolve())
    assert result.bytes == target.stat().st_size > 0
    assert result.revision == "0001"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert count(target, "organizations") == 1
    with closing(sqlite3.connect(target)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not list(tmp_path.glob(".backup.db.partial-*"))


def test_an_existing_file_is_kept_unless_forced(runtime: Runtime, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    target.write_text("precious")
    with pytest.raises(OpsError, match="exists; .* --force"):
        backup_sqlite(runtime.settings.database_url, target)
    assert target.read_text() == "precious"
    backup_sqlite(runtime.settings.database_url, target, overwrite=True)
    assert count(target, "alembic_version") == 1


def test_postgres_is_told_to_use_pg_dump(tmp_path: Path) -> None:
    with pytest.raises(OpsError, match="pg_dump"):
        backup_sqlite("postgresql+psycopg://u@127.0.0.1:5432/q", tmp_path / "x.db")
    assert not (tmp_path / "x.db").exists()


def test_refusals_that_protect_the_live_database(runtime: Runtime, tmp_path: Path) -> None:
    live = Path(runtime.settings.database_url.removeprefix("sqlite:///"))
    with pytest.raises(OpsError, match="live database"):
        backup_sqlite(runtime.settings.database_url, live, overwrite=True)
    with pytest.raises(OpsError, match="does not exist"):
        backup_sqlite(runtime.settings.database_url, tmp_path / "no" / "such" / "b.db")
    with pytest.raises(OpsError, match="migrate"):
        backup_sqlite(f"sqlite:///{tmp_path / 'absent.db'}", tmp_path / "b.db")


WRITER = textwrap.dedent("""
    import sys, sqlite3
    conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, a INT, b INT)")
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        # one transaction writes two rows that must always appear together
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO ledger (a, b) VALUES (?, 0)", (i,))
        conn.execute("INSERT INTO ledger (a, b) VALUES (?, 1)", (i,))
        conn.execute("COMMIT")
""")


def test_the_copy_is_consistent_while_another_process_writes(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        sizes = []
        for n in range(5):
            target = tmp_path / f"b{n}.db"
            backup_sqlite(f"sqlite:///{db}", target)
            with closing(sqlite3.connect(target)) as conn:
                rows = conn.execute("SELECT a, count(*) FROM ledger GROUP BY a").fetchall()
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert all(c == 2 for _, c in rows)  # never half a transaction
            sizes.append(len(rows))
        assert sizes[-1] > 0
    finally:
        writer.kill()
        writer.wait(timeout=10)
        assert writer.stdout is not None
        writer.stdout.close()


def test_the_cli_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKTURE_")}
    env["QUICKTURE_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([EXE, *args], env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=60)  # fmt: skip

    assert run("migrate").returncode == 0
    out = run("backup", "--to", str(tmp_path / "b.db"), "--json")
    assert out.returncode == 0, out.stderr
    assert '"status": "ok"' in out.stdout and len(out.stdout.strip().splitlines()) == 1
    again = run("backup", "--to", str(tmp_path / "b.db"))
    assert again.returncode == 2
    assert "Traceback" not in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert "--force" in again.stderr

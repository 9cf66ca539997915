"""``quickture-backend backup --to FILE``: a consistent copy of the SQLite database while it serves.

SQLite's online backup API copies the database page by page under a read transaction, so the
copy is one consistent snapshot even while other processes write (WAL mode lets them go on).
The copy is written next to the target, checked (``PRAGMA integrity_check``), switched out of
WAL into a single self-contained file, then renamed into place, so a half-written backup never
has the target's name. It is created owner-only: it holds encrypted secrets and hashes.

The at-rest key (``secret.key`` or ``QUICKTURE_SECRET_KEY``) is not in the database: a backup
without it cannot decrypt client secrets or signing keys. PostgreSQL is backed up with
``pg_dump``, not with this command.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from backend.ops.errors import OpsError

__all__ = ["BackupResult", "backup_sqlite"]

BUSY_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: str
    bytes: int
    revision: str | None
    pages: int


def backup_sqlite(database_url: str, target: Path, *, overwrite: bool = False) -> BackupResult:
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise OpsError(
            f"backup copies the SQLite default store; this backend uses {url.get_backend_name()}:"
            " back it up with pg_dump (e.g. `pg_dump --format=custom --file=quickture.dump"
            ' "$DATABASE_URL"`), see docs/deploy.md'
        )
    source = url.database
    if not source or source == ":memory:":
        raise OpsError("the database is in memory: there is nothing on disk to back up")
    source_path = Path(source).expanduser().resolve()
    if not source_path.exists():
        raise OpsError(f"no database at {source_path}: run `quickture-backend migrate` first")
    target = target.expanduser().resolve()
    if target == source_path:
        raise OpsError("the backup must not be the live database file itself")
    if target.exists() and not overwrite:
        raise OpsError(f"{target} exists; choose another file or pass --force to replace it")
    if not target.parent.is_dir():
        raise OpsError(f"the folder {target.parent} does not exist")

    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        src = sqlite3.connect(f"{source_path.as_uri()}?mode=ro", uri=True,
                              timeout=BUSY_TIMEOUT_S)  # fmt: skip
        try:
            dst = sqlite3.connect(partial, timeout=BUSY_TIMEOUT_S)
            try:
                src.backup(dst)  # all pages in one step: one consistent snapshot
                dst.execute("PRAGMA journal_mode=DELETE")
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    raise OpsError(f"the copy failed its integrity check: {check}")
                pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
                revision = _revision(dst)
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise OpsError(f"backup failed: {exc}") from exc
    except OSError as exc:
        raise OpsError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupResult(path=str(target), bytes=target.stat().st_size, revision=revision,
                        pages=pages)  # fmt: skip


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None

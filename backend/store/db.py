"""The database: engine set-up for SQLite and PostgreSQL, transactions, and migrations.

SQLite runs with WAL, foreign keys on and a busy timeout. Writing transactions on SQLite begin
with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of failing when a
read lock is upgraded. ``Database.read()`` and ``Database.write()`` are the only ways in.
JSON columns are written and read with orjson (SQLAlchemy's default, the standard library's
``json``, costs more than the rest of a SCIM write's parameters).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Database", "DatabaseError", "NotMigrated", "Unreachable"]

BUSY_TIMEOUT_MS = 10_000


def _json_dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # what orjson refuses and JSON allows: integers past 64 bits
        return json.dumps(value, ensure_ascii=False)


class DatabaseError(Exception):
    """Base of the storage errors that the CLI and ``/healthz`` turn into plain words."""


class Unreachable(DatabaseError):
    """The database cannot be opened or connected to."""


class NotMigrated(DatabaseError):
    """The schema is missing or older than this code; run ``quickture-backend migrate``."""


class Database:
    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _ensure_sqlite_dir(url)
            self.engine = sa.create_engine(
                url,
                connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                json_serializer=_json_dumps,
                json_deserializer=orjson.loads,
            )
            _configure_sqlite(self.engine)
        else:
            self.engine = sa.create_engine(
                url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True,
                json_serializer=_json_dumps, json_deserializer=orjson.loads,
            )  # fmt: skip
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(quickture_immediate=True), expire_on_commit=False
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back at the end."""
        with self._reader() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._writer() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

    # -- schema -------------------------------------------------------------------------------

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to ``revision`` (applies every missing migration)."""
        try:
            with self.engine.begin() as conn:
                cfg = alembic_config(self.url)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
        except sa.exc.OperationalError as exc:
            raise Unreachable(describe(exc)) from exc

    def downgrade(self, revision: str) -> None:
        with self.engine.begin() as conn:
            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)

    def check(self) -> None:
        """Raise ``Unreachable`` or ``NotMigrated`` unless the schema is current."""
        head = ScriptDirectory.from_config(alembic_config(self.url)).get_current_head()
        try:
            with self.engine.connect() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
        except sa.exc.OperationalError as exc:
            raise Unreachable(describe(exc)) from exc
        if current != head:
            raise NotMigrated(
                f"the database schema is at {current or 'nothing'}, this version needs {head}: "
                "run `quickture-backend migrate`"
            )

    def ping(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.DBAPIError as exc:
            raise Unreachable(describe(exc)) from exc


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("backend.store") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def describe(exc: sa.exc.DBAPIError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return f"cannot use the database: {text[0] if text else type(exc).__name__}"


def _ensure_sqlite_dir(url: str) -> None:
    path = sa.engine.make_url(url).database
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is unreliable).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        dbapi = conn.connection.dbapi_connection
        if dbapi.in_transaction:  # type: ignore[union-attr]
            return  # begun on the DBAPI connection already: join it
        immediate = conn.get_execution_options().get("quickture_immediate", False)
        # On the DBAPI connection: SQLAlchemy's own execution path would cost more than the
        # BEGIN itself, on every transaction.
        dbapi.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")  # type: ignore[union-attr]

"""Hot statements, compiled once per dialect and run on the DBAPI cursor of the caller's own
transaction: the SCIM queries, the SCIM token check and audit rows.

Okta calls ``GET /Users?filter=userName eq ...`` and ``GET /Users/{id}`` for every user it
touches; through SQLAlchemy's execution layer each such query costs about 20 times what SQLite
does, more than the rest of the request together. Here a statement is still written in
SQLAlchemy Core (so it is the same on SQLite and PostgreSQL), compiled once, and executed on
the DBAPI cursor of the caller's ``Tx`` (a ``Session`` or a Core ``Connection``): same
connection, same transaction, no per-call cache key, no result-processing machinery. Only plain
string and integer parameters go through it; results are converted for the few column types
the SCIM rows have.
"""

from __future__ import annotations

from collections import namedtuple
from itertools import groupby
from operator import itemgetter
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.store.models.base import UTCDateTime, as_utc, utc_text

__all__ = [
    "BATCH_MEMO",
    "DEFERRED",
    "Query",
    "Statement",
    "Tx",
    "batch_memo",
    "connection_of",
    "run_deferred",
]

Tx = Session | sa.Connection
"""What database code runs in: an ORM session, or a Core connection inside a transaction (the
SCIM hot path has no session: see ``backend.store.runners``)."""


def connection_of(tx: Tx) -> sa.Connection:
    return tx if isinstance(tx, sa.Connection) else tx.connection()


DEFERRED = "quickture_deferred"
"""Key in a ``Connection.info``: while a group-commit batch is open on that connection, the
list of ``(Statement, params)`` its jobs deferred (``Statement.defer``)."""


BATCH_MEMO = "quickture_batch_memo"
"""Key in a ``Connection.info``: while a group-commit batch is open on that connection, a dict
its jobs share for what cannot change before the batch commits: the batch holds SQLite's one
write lock, so no other connection changes anything meanwhile (``batch_memo``)."""


def batch_memo(tx: Tx) -> dict[Any, Any] | None:
    """The open group-commit batch's memo (``BATCH_MEMO``), or None outside a batch."""
    return tx.info.get(BATCH_MEMO) if isinstance(tx, sa.Connection) else None


def run_deferred(conn: sa.Connection, pending: list[tuple[Statement, dict[str, Any]]]) -> None:
    """Run deferred statements in order, each run of one statement as one ``executemany``."""
    for stmt, run in groupby(pending, key=itemgetter(0)):
        stmt.run_many(conn, [params for _, params in run])


def _dt(value: Any) -> Any:
    return None if value is None else as_utc(value)


def _as_stored(value: Any) -> Any:
    """A UTC column's value for a caller that only renders it: SQLite's stored text as it is
    (``2026-12-04 08:58:00.123456``), a datetime (PostgreSQL) as an aware UTC one."""
    return value if value is None or isinstance(value, str) else _dt(value)


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _bool(value: Any) -> Any:
    return None if value is None else bool(value)


def _converter(col: Any, as_text: bool = False) -> Any:
    t = col.type
    if isinstance(t, UTCDateTime | sa.DateTime):
        return _as_stored if as_text else _dt
    if isinstance(t, sa.JSON):
        return _json
    if isinstance(t, sa.Boolean):
        return _bool
    return None


class _Compiled:
    def __init__(self, stmt: Any, dialect: sa.Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        self.order = tuple(compiled.positiontup) if compiled.positional else None
        # The types' own bind processors (UTC datetimes, JSON...), as SQLAlchemy applies them;
        # on SQLite a UTC datetime is formatted as SQLAlchemy stores it, in one call.
        self.processors = dict(compiled._bind_processors)
        if dialect.name == "sqlite":
            for key, bind in compiled.binds.items():
                if key in self.processors and isinstance(bind.type, UTCDateTime):
                    self.processors[key] = utc_text
        # Literal values in the statement (``values(users=0)``, ``count + 1``) are parameters too.
        self.defaults = {k: v for k, v in compiled.params.items() if v is not None}

    def params(self, params: dict[str, Any]) -> Any:
        if self.defaults:
            params = {**self.defaults, **params}
        elif self.processors:
            params = dict(params)  # the caller's stays as it was
        for key, process in self.processors.items():  # a few of the statement's parameters
            value = params.get(key)
            if value is not None:
                params[key] = process(value)
        order = self.order
        return [params[k] for k in order] if order is not None else params


class Statement:
    """A Core statement with named ``bindparam``s, compiled once per dialect and executed on
    the session's DBAPI cursor: ``Statement(sa.insert(T).values(a=sa.bindparam("a")))``."""

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: sa.Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _Compiled(self.stmt, dialect)
        return found

    def _cursor(self, tx: Tx) -> tuple[_Compiled, Any]:
        """This statement compiled for ``tx``'s database, and a cursor of its transaction."""
        conn = connection_of(tx)
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        return self._for(conn.dialect), dbapi.cursor()

    def _run(self, tx: Tx, params: dict[str, Any], fetch: bool) -> tuple[Any, int]:
        compiled, cursor = self._cursor(tx)
        try:
            cursor.execute(compiled.sql, compiled.params(params))
            return (cursor.fetchall() if fetch else None), cursor.rowcount
        finally:
            cursor.close()

    def run(self, tx: Tx, **params: Any) -> int:
        """Execute; returns the row count."""
        return self._run(tx, params, False)[1]

    def run_many(self, tx: Tx, many: list[dict[str, Any]]) -> None:
        compiled, cursor = self._cursor(tx)
        try:
            cursor.executemany(compiled.sql, [compiled.params(p) for p in many])
        finally:
            cursor.close()

    def defer(self, tx: Tx, **params: Any) -> None:
        """Run at the end of the group-commit batch ``tx`` is in, before its commit (one
        ``executemany`` for the batch's rows: for inserts nothing in the batch reads, such as
        audit rows); now, when it is in none. A job that fails takes its deferred rows with it."""
        pending = tx.info.get(DEFERRED) if isinstance(tx, sa.Connection) else None
        if pending is None:
            self.run(tx, **params)
        else:
            pending.append((self, params))

    def scalar(self, tx: Tx, **params: Any) -> Any:
        rows = self._run(tx, params, True)[0]
        return rows[0][0] if rows else None


class Query(Statement):
    """A Core ``select`` (or a DML statement with ``RETURNING``) run cheaply:
    ``q.all(tx, **params)`` gives named tuples. The datetime columns named in ``as_text`` are
    for rendering only: on SQLite they keep their stored text (``resources.iso_utc`` writes
    it out without parsing it), elsewhere they are aware UTC datetimes."""

    def __init__(self, stmt: Any, *, as_text: frozenset[str] = frozenset()) -> None:
        super().__init__(stmt)
        # A select's columns, or what an UPDATE/INSERT ... RETURNING returns.
        cols = list(getattr(stmt, "selected_columns", None) or stmt.exported_columns)
        self.row_type: Any = namedtuple("Row", [c.key for c in cols])  # type: ignore[misc]
        self.converters = [
            (i, f) for i, c in enumerate(cols) if (f := _converter(c, c.key in as_text)) is not None
        ]

    def values(self, tx: Tx, **params: Any) -> list[list[Any]]:
        """The rows as lists of converted values (for a caller that builds its own rows)."""
        conv = self.converters
        out = []
        for raw in self._run(tx, params, True)[0]:
            values = list(raw)
            for i, f in conv:
                values[i] = f(values[i])
            out.append(values)
        return out

    def all(self, tx: Tx, **params: Any) -> list[Any]:
        make = self.row_type
        return [make(*values) for values in self.values(tx, **params)]

    def first(self, tx: Tx, **params: Any) -> Any:
        rows = self.all(tx, **params)
        return rows[0] if rows else None

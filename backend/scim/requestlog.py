"""The SCIM request log behind the Dashboard's connection-health page, and the token's
"last used" stamp, both written off the hot path.

The page shows each connection's newest ``KEEP`` requests, so that is all the log keeps: per
connection, a bounded buffer of the newest ``KEEP`` requests (older ones would be trimmed
anyway), and per token its newest use. About once a second (``DELAY_S``) they are written as
one unit of work (through the SCIM runner, so on SQLite it joins a group commit instead of
competing for the write lock), together with ``scim_tokens.touch`` for tokens whose stamp is
older than a minute; the same unit trims each connection's log to its newest ``KEEP`` rows
with one indexed DELETE. However many requests a second brings, a write is at most ``KEEP``
rows per connection. Losing the last second of log lines in a crash is acceptable for a
health page; nothing else depends on them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import sqlalchemy as sa

from backend.domain import scim_tokens
from backend.domain.scim_tokens import ScimAuth
from backend.observability import metrics
from backend.store.compiled import Statement
from backend.store.db import Database
from backend.store.models import ScimRequest
from backend.store.models.base import utcnow
from backend.store.runners import Runner

__all__ = ["KEEP", "LoggedRequest", "RequestLog"]

KEEP = 200
DELAY_S = 1.0
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    auth: ScimAuth
    at: datetime
    method: str
    path: str
    status: int
    user_agent: str


_Raw = tuple[ScimAuth, datetime, str, str, int, str]


class RequestLog:
    """Buffers one small tuple per request on the event loop; everything else (the rows, the
    token stamps) is worked out when the buffer is written."""

    def __init__(self, db: Database, runner: Runner) -> None:
        self._db = db
        self._runner = runner
        # What a failed write raises: SQLAlchemy's errors, and the driver's own from the
        # precompiled insert (which runs on the DBAPI cursor).
        self._errors = (sa.exc.SQLAlchemyError, db.engine.dialect.dbapi.Error)  # type: ignore[union-attr]
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one flush at a time, so wait_idle() waits for it
        self._rows: dict[str, deque[_Raw]] = {}  # connection id: its newest KEEP requests
        self._used: dict[str, tuple[ScimAuth, datetime, str]] = {}  # token id: newest use
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[int] | None = None

    def add(
        self, auth: ScimAuth, op: str, method: str, path: str, status: int, user_agent: str
    ) -> None:
        """Called on the event loop after each authenticated request."""
        metrics.scim_operation(auth.connection_id, op)
        now = utcnow()
        with self._lock:
            rows = self._rows.get(auth.connection_id)
            if rows is None:
                rows = self._rows[auth.connection_id] = deque(maxlen=KEEP)
            rows.append((auth, now, method, path, status, user_agent))
            self._used[auth.token_id] = (auth, now, user_agent)
        if self._task is None and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(DELAY_S, self._start)

    def _start(self) -> None:
        self._timer = None
        self._task = asyncio.ensure_future(self._write_async())
        self._task.add_done_callback(self._written)

    def _written(self, _task: asyncio.Task[int]) -> None:
        self._task = None
        with self._lock:
            left = bool(self._rows)
        if left and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(DELAY_S, self._start)

    async def _write_async(self) -> int:
        rows, used = self._take()
        if not rows:
            return 0
        try:
            return await self._runner.write(partial(_write, rows, used))
        except self._errors:
            # The connection (and its log) may have been deleted meanwhile; never retry.
            log.warning("could not write %d SCIM request log lines", len(rows), exc_info=True)
            return 0

    def flush(self) -> int:
        """Write what is buffered now, from this thread; returns how many requests it wrote."""
        with self._flushing:
            rows, used = self._take()
            if not rows:
                return 0
            try:
                with self._db.engine.begin() as conn:
                    return _write(rows, used, conn)
            except self._errors:
                log.warning("could not write %d SCIM request log lines", len(rows), exc_info=True)
                return 0

    def _take(self) -> tuple[list[LoggedRequest], list[tuple[ScimAuth, datetime, str]]]:
        with self._lock:
            raw, self._rows = self._rows, {}
            used, self._used = self._used, {}
        rows = [
            LoggedRequest(a, at, m, p[:300], st, ua[:300])
            for buffered in raw.values()
            for a, at, m, p, st, ua in buffered
        ]
        rows.sort(key=lambda r: r.at)  # one connection after another would misorder the ids
        return rows, list(used.values())

    def wait_idle(self, timeout: float = 5.0) -> None:
        """For tests and shutdown: flush now and return once nothing is buffered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.flush()
            with self._lock:
                if not self._rows:
                    return


# Precompiled: up to KEEP rows a connection every second, at any request rate.
_COLUMNS = ("connection_id", "token_prefix", "at", "method", "path", "status", "user_agent")
_INSERT = Statement(
    sa.insert(ScimRequest).values(
        {c: sa.bindparam(c, type_=ScimRequest.__table__.c[c].type) for c in _COLUMNS}
    )
)


def _write(
    rows: list[LoggedRequest], used: list[tuple[ScimAuth, datetime, str]], conn: sa.Connection
) -> int:
    _INSERT.run_many(
        conn,
        [
            {
                "connection_id": r.auth.connection_id,
                "token_prefix": r.auth.display_prefix,
                "at": r.at,
                "method": r.method,
                "path": r.path,
                "status": r.status,
                "user_agent": r.user_agent,
            }
            for r in rows
        ],
    )
    for auth, at, user_agent in used:  # the token's "last used", at most once a minute
        last = auth.last_used_at
        if last is None or at - last >= scim_tokens.LAST_USED_RESOLUTION:
            scim_tokens.touch(conn, auth, user_agent[:300])
    for connection_id in {r.auth.connection_id for r in rows}:
        _trim(conn, connection_id)
    return len(rows)


def _trim(conn: sa.Connection, connection_id: str) -> None:
    cutoff = (
        sa.select(ScimRequest.id)
        .where(ScimRequest.connection_id == connection_id)
        .order_by(ScimRequest.id.desc())
        .offset(KEEP)
        .limit(1)
        .scalar_subquery()
    )
    conn.execute(
        sa.delete(ScimRequest).where(
            ScimRequest.connection_id == connection_id, ScimRequest.id <= cutoff
        )
    )

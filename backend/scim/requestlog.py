"""The SCIM request log behind the Dashboard's connection-health page, and the token's
"last used" stamp, both written off the hot path.

Requests are buffered in memory and written as one unit of work (through the SCIM runner, so
on SQLite it joins a group commit instead of competing for the write lock) at most about once
a second (or every ``BATCH`` requests), together with ``scim_tokens.touch`` for tokens whose
stamp is older than a minute; the same unit trims each connection's log to its newest
``KEEP`` rows with one indexed DELETE. Losing the last second of log lines in a crash is
acceptable for a health page; nothing else depends on them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import sqlalchemy as sa

from backend.domain import scim_tokens
from backend.domain.scim_tokens import ScimAuth
from backend.observability import metrics
from backend.store.db import Database
from backend.store.models import ScimRequest
from backend.store.models.base import utcnow
from backend.store.runners import Runner

__all__ = ["KEEP", "LoggedRequest", "RequestLog"]

KEEP = 200
BATCH = 200
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


class RequestLog:
    """Buffers one small tuple per request on the event loop; everything else (the rows, the
    token stamps) is worked out when the buffer is written."""

    def __init__(self, db: Database, runner: Runner) -> None:
        self._db = db
        self._runner = runner
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one flush at a time, so wait_idle() waits for it
        self._rows: list[tuple[ScimAuth, datetime, str, str, int, str]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[int] | None = None

    def add(
        self, auth: ScimAuth, op: str, method: str, path: str, status: int, user_agent: str
    ) -> None:
        """Called on the event loop after each authenticated request."""
        metrics.scim_operation(auth.connection_id, op)
        with self._lock:
            self._rows.append((auth, utcnow(), method, path, status, user_agent))
            full = len(self._rows) >= BATCH
        if self._task is not None:
            return  # a write is under way; it looks at the buffer again when it ends
        if full:
            if self._timer is not None:
                self._timer.cancel()
            self._start()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(DELAY_S, self._start)

    def _start(self) -> None:
        self._timer = None
        self._task = asyncio.ensure_future(self._write_async())
        self._task.add_done_callback(self._written)

    def _written(self, _task: asyncio.Task[int]) -> None:
        self._task = None
        with self._lock:
            left = len(self._rows)
        if left >= BATCH:
            self._start()
        elif left and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(DELAY_S, self._start)

    async def _write_async(self) -> int:
        rows = self._take()
        if not rows:
            return 0
        try:
            return await self._runner.write(partial(_write, rows))
        except sa.exc.SQLAlchemyError:
            # The connection (and its log) may have been deleted meanwhile; never retry.
            log.warning("could not write %d SCIM request log lines", len(rows), exc_info=True)
            return 0

    def flush(self) -> int:
        """Write what is buffered now, from this thread; returns how many requests it wrote."""
        with self._flushing:
            rows = self._take()
            if not rows:
                return 0
            try:
                with self._db.engine.begin() as conn:
                    return _write(rows, conn)
            except sa.exc.SQLAlchemyError:
                log.warning("could not write %d SCIM request log lines", len(rows), exc_info=True)
                return 0

    def _take(self) -> list[LoggedRequest]:
        with self._lock:
            raw, self._rows = self._rows, []
        return [LoggedRequest(a, at, m, p[:300], st, ua[:300]) for a, at, m, p, st, ua in raw]

    def wait_idle(self, timeout: float = 5.0) -> None:
        """For tests and shutdown: flush now and return once nothing is buffered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.flush()
            with self._lock:
                if not self._rows:
                    return


def _write(rows: list[LoggedRequest], conn: sa.Connection) -> int:
    conn.execute(
        sa.insert(ScimRequest),
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
    stamped: set[str] = set()
    for r in rows:  # the token's "last used", at most once a minute
        auth = r.auth
        if auth.token_id in stamped:
            continue
        last = auth.last_used_at
        if last is None or r.at - last >= scim_tokens.LAST_USED_RESOLUTION:
            stamped.add(auth.token_id)
            scim_tokens.touch(conn, auth, r.user_agent)
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

"""The SCIM request log behind the Dashboard's connection-health page, and the token's
"last used" stamp, both written off the hot path.

Requests are buffered in memory and written in one transaction at most about once a second
(or every ``BATCH`` requests), together with ``scim_tokens.touch`` for tokens whose stamp is
older than a minute; the same transaction trims each connection's log to its newest ``KEEP``
rows with one indexed DELETE. Losing the last second of log lines in a crash is acceptable for
a health page; nothing else depends on them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool

from backend.domain import scim_tokens
from backend.domain.scim_tokens import ScimAuth
from backend.observability import metrics
from backend.store.db import Database
from backend.store.models import ScimRequest
from backend.store.models.base import utcnow

__all__ = ["KEEP", "LoggedRequest", "RequestLog"]

KEEP = 200
BATCH = 200
DELAY_S = 1.0
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    connection_id: str
    token_prefix: str
    at: datetime
    method: str
    path: str
    status: int
    user_agent: str


class RequestLog:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one flush at a time, so wait_idle() waits for it
        self._rows: list[LoggedRequest] = []
        self._touch: dict[str, tuple[ScimAuth, str]] = {}
        self._scheduled = False
        self._tasks: set[asyncio.Future[int]] = set()

    def add(self, auth: ScimAuth, method: str, path: str, status: int, user_agent: str) -> None:
        """Called on the event loop after each authenticated request."""
        entry = LoggedRequest(
            auth.connection_id,
            auth.display_prefix,
            utcnow(),
            method,
            path[:300],
            status,
            user_agent[:300],
        )
        metrics.scim_operation(auth.connection_id, metrics.scim_op_for(method, path))
        with self._lock:
            self._rows.append(entry)
            last = auth.last_used_at
            if last is None or entry.at - last >= scim_tokens.LAST_USED_RESOLUTION:
                self._touch.setdefault(auth.token_id, (auth, user_agent))
            full = len(self._rows) >= BATCH
            schedule = not self._scheduled
            self._scheduled = True
        loop = asyncio.get_running_loop()
        if full:
            self._spawn()
        elif schedule:
            loop.call_later(DELAY_S, self._spawn)

    def _spawn(self) -> None:
        task = asyncio.ensure_future(run_in_threadpool(self.flush))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def flush(self) -> int:
        """Write what is buffered; returns how many requests it wrote."""
        with self._flushing:
            return self._flush()

    def _flush(self) -> int:
        with self._lock:
            rows, self._rows = self._rows, []
            touch, self._touch = self._touch, {}
            self._scheduled = False
        if not rows and not touch:
            return 0
        try:
            with self._db.write() as session:
                if rows:
                    session.execute(
                        sa.insert(ScimRequest),
                        [
                            {
                                "connection_id": r.connection_id,
                                "token_prefix": r.token_prefix,
                                "at": r.at,
                                "method": r.method,
                                "path": r.path,
                                "status": r.status,
                                "user_agent": r.user_agent,
                            }
                            for r in rows
                        ],
                    )
                for auth, agent in touch.values():
                    scim_tokens.touch(session, auth, agent)
                for conn in {r.connection_id for r in rows}:
                    _trim(session, conn)
        except sa.exc.SQLAlchemyError:
            # The connection (and its log) may have been deleted meanwhile; never retry.
            log.warning("could not write %d SCIM request log lines", len(rows), exc_info=True)
            return 0
        return len(rows)

    def wait_idle(self, timeout: float = 5.0) -> None:
        """For tests and shutdown: flush now and return once nothing is buffered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.flush()
            with self._lock:
                if not self._rows:
                    return


def _trim(session: sa.orm.Session, connection_id: str) -> None:
    cutoff = (
        sa.select(ScimRequest.id)
        .where(ScimRequest.connection_id == connection_id)
        .order_by(ScimRequest.id.desc())
        .offset(KEEP)
        .limit(1)
        .scalar_subquery()
    )
    session.execute(
        sa.delete(ScimRequest).where(
            ScimRequest.connection_id == connection_id, ScimRequest.id <= cutoff
        )
    )

"""One JSON line per request, a request id on every response, and the HTTP metrics.

``RequestObserver`` does it; ``RequestObservabilityMiddleware`` (pure ASGI, outermost so it
times and sees everything) applies it to the requests the Starlette stack serves, and the SCIM
lane (``backend.web.lane``) to the ones it serves. The log line has the request id, method,
route family, route (the matched route template such as ``/scim/v2/Users/{id}``, else the
path), status, duration, client address and the worker's process id. It never has the query
string (authorization codes, ``state``, ``login_hint``), headers (Authorization, cookies) or
bodies.

The request id is the incoming ``X-Request-ID`` when it is a short token of safe characters
(a proxy's or load balancer's id, so lines can be joined across them), else a new random one.
It is echoed in the response's ``X-Request-ID`` and put in ``scope["state"]["request_id"]``.
A new id is this process's random 64-bit prefix and a counter (unique, cheap: no system call
per request). When the access log has the handler this module gave it (nobody configured
logging), lines go straight to its stream: the logging machinery would cost more than the rest
of the observer, on every request.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.observability import metrics
from backend.observability.families import family_of

__all__ = ["LOGGER_NAME", "RequestObservabilityMiddleware", "RequestObserver", "valid_request_id"]

LOGGER_NAME = "quickture.requests"
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_PATH_MAX = 200


def valid_request_id(value: str | None) -> bool:
    return bool(value) and _REQUEST_ID.fullmatch(value or "") is not None


class RequestObserver:
    """What every request gets, whichever way it is served: its id (``start``), then its
    metrics and its log line (``finish``). One per app, shared by the middleware and the SCIM
    lane (``backend.web.lane``)."""

    def __init__(self, *, logger: logging.Logger | None = None) -> None:
        own: logging.StreamHandler[Any] | None = None
        if logger is None:
            logger = logging.getLogger(LOGGER_NAME)
            own = _ensure_handler(logger)
        self.log = logger
        self._own = own
        self._pid = os.getpid()
        self._ids = itertools.count(1)
        self._id_prefix = os.urandom(8).hex()
        self._pending: list[str] = []  # lines for our own handler, written by flush()
        self._second, self._prefix = -1, ""  # _stamp's text up to the second

    def start(self, scope: Scope) -> str:
        """The request's id, also put in ``scope["state"]["request_id"]``."""
        incoming = _header(scope, b"x-request-id")
        if incoming and valid_request_id(incoming):
            request_id = incoming
        else:
            request_id = f"{self._id_prefix}{next(self._ids) & 0xFFFFFFFFFFFFFFFF:016x}"
        scope.setdefault("state", {})["request_id"] = request_id
        return request_id

    def _stamp(self) -> str:
        """Now, as ``datetime.isoformat(timespec="milliseconds")`` writes it in UTC: the text up
        to the second is made once a second (formatting a datetime costs a few microseconds)."""
        now = time.time()
        second = int(now)
        if second != self._second:
            text = datetime.fromtimestamp(second, UTC).isoformat()  # ...THH:MM:SS+00:00
            self._second, self._prefix = second, text[:-6]
        return f"{self._prefix}.{int((now - second) * 1000):03d}+00:00"

    def finish(self, scope: Scope, request_id: str, status: int, seconds: float) -> None:
        family = family_of(scope.get("path", ""))
        method = str(scope.get("method", ""))
        metrics.http_request(family, method, status, seconds)
        self._log(scope, request_id, family, method, status, seconds)

    def _log(self, scope: Scope, request_id: str, family: str, method: str, status: int,
             seconds: float) -> None:  # fmt: skip
        if not self.log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        record: dict[str, Any] = {
            "ts": self._stamp(),
            "event": "request",
            "request_id": request_id,
            "method": method[:16],
            "family": family,
            "route": _route(scope),
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client": client[0] if client else None,
            "pid": self._pid,  # which worker answered (serve --workers N)
        }
        line = orjson.dumps(record).decode()
        own = self._own
        if own is None or self.log.handlers != [own] or self.log.filters:
            self.log.info(line)
            return
        pending = self._pending
        pending.append(line)
        if len(pending) == 1:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # not on an event loop: no turn to wait for
                self.flush()

    def flush(self) -> None:
        """Write the lines waiting for our own handler (what ``StreamHandler.emit`` does for
        each, minus the record): at the end of the loop's turn, and at shutdown."""
        own, pending = self._own, self._pending
        if own is None or not pending:
            return
        self._pending = []
        own.stream.write("\n".join(pending) + "\n")
        own.stream.flush()


class RequestObservabilityMiddleware:
    def __init__(self, app: ASGIApp, *, logger: logging.Logger | None = None,
                 observer: RequestObserver | None = None) -> None:  # fmt: skip
        self.app = app
        self.observer = observer or RequestObserver(logger=logger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = self.observer.start(scope)
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            # An exception that escapes here becomes Starlette's 500 in the outer error layer.
            self.observer.finish(scope, request_id, status, time.perf_counter() - start)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            try:
                return str(value.decode("latin-1"))
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
                return None
    return None


def _route(scope: Scope) -> str:
    """The matched route's template if Starlette found one (no ids, nothing secret), else the
    raw path (never the query string)."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str) and template:
        # Inside a Mount the template is relative; root_path is the prefix it matched.
        return str(scope.get("root_path", "")) + template
    path = str(scope.get("path", ""))
    return path[:_PATH_MAX]


def _ensure_handler(logger: logging.Logger) -> logging.StreamHandler[Any] | None:
    """Give the access log a stderr handler unless logging was configured by someone else
    (a handler on this logger or on the root logger): one bare JSON object per line. Returns
    the handler it added, if it did."""
    if logger.handlers or logging.getLogger().handlers:
        return None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler

"""One JSON line per request, a request id on every response, and the HTTP metrics.

A pure ASGI middleware; put it outermost so it times and sees everything. The log line has the
request id, method, route family, route (the matched route template such as
``/scim/v2/Users/{user_id}``, else the path), status, duration, client address and the
worker's process id. It never has the query string (authorization codes, ``state``,
``login_hint``), headers (Authorization, cookies) or bodies.

The request id is the incoming ``X-Request-ID`` when it is a short token of safe characters
(a proxy's or load balancer's id, so lines can be joined across them), else a new random one.
It is echoed in the response's ``X-Request-ID`` and put in ``scope["state"]["request_id"]``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from datetime import UTC, datetime
from secrets import token_hex
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.observability import metrics
from backend.observability.families import family_of

__all__ = ["LOGGER_NAME", "RequestObservabilityMiddleware", "valid_request_id"]

LOGGER_NAME = "quickture.requests"
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_PATH_MAX = 200


def valid_request_id(value: str | None) -> bool:
    return bool(value) and _REQUEST_ID.fullmatch(value or "") is not None


class RequestObservabilityMiddleware:
    def __init__(self, app: ASGIApp, *, logger: logging.Logger | None = None) -> None:
        self.app = app
        if logger is None:
            logger = logging.getLogger(LOGGER_NAME)
            _ensure_handler(logger)
        self.log = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and valid_request_id(incoming) else token_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id
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
            seconds = time.perf_counter() - start
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
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": "request",
            "request_id": request_id,
            "method": method[:16],
            "family": family,
            "route": _route(scope),
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client": client[0] if client else None,
            "pid": os.getpid(),  # which worker answered (serve --workers N)
        }
        self.log.info(json.dumps(record, separators=(",", ":")))


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


def _ensure_handler(logger: logging.Logger) -> None:
    """Give the access log a stderr handler unless logging was configured by someone else
    (a handler on this logger or on the root logger): one bare JSON object per line."""
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

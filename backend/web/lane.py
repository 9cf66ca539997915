"""``PrefixLane``: every HTTP request under one path prefix is answered by another app that
builds its whole reply itself, without Starlette's middleware stack, exception layers or router.

For ``/scim/v2``: an identity provider sends far more requests than people do, and the SCIM app
turns every outcome, errors included, into SCIM JSON itself. The lane does for those requests,
in one place, what the middleware does for the others: the request id (kept or made, echoed in
``X-Request-ID``), the security headers, the HTTP metrics and the access-log line. Each layer
it saves would otherwise wrap the request and both of its response messages.
"""

from __future__ import annotations

import time
from typing import Protocol

from starlette.types import Receive, Scope, Send

from backend.observability.middleware import RequestObserver

__all__ = ["Answer", "Answering", "PrefixLane"]

RawHeaders = list[tuple[bytes, bytes]]


class Answer(Protocol):
    status_code: int
    raw_headers: RawHeaders
    body: bytes


class Answering(Protocol):
    async def answer(self, scope: Scope, receive: Receive) -> Answer:
        """The whole reply to one request; never raises (a failure is a 500 reply)."""
        ...


class PrefixLane:
    def __init__(self, prefix: str, target: Answering, *, observer: RequestObserver,
                 headers: RawHeaders) -> None:  # fmt: skip
        self.prefix = prefix.rstrip("/")
        self._slash = self.prefix + "/"
        self.target = target
        self.observer = observer
        self.headers = headers

    def matches(self, scope: Scope) -> bool:
        if scope["type"] != "http":
            return False
        path: str = scope["path"]
        return path.startswith(self._slash) or path == self.prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        request_id = self.observer.start(scope)
        # As Starlette's Mount does: the full path stays, root_path gains the prefix.
        scope["root_path"] = scope.get("root_path", "") + self.prefix
        status = 500
        try:
            reply = await self.target.answer(scope, receive)
            status = reply.status_code
            headers = [*reply.raw_headers, *self.headers, (b"x-request-id", request_id.encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": reply.body})
        finally:
            self.observer.finish(scope, request_id, status, time.perf_counter() - start)

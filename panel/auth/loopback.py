"""The RFC 8252 loopback redirect receiver.

It *has* a small HTTP server (it is not one) bound to ``127.0.0.1`` on an ephemeral port.
It answers only ``GET /callback``: ``state`` is checked before anything else (a request
without this sign-in's state gets a "not yours" page and the receiver keeps waiting), then
the browser is told the outcome on a small page that escapes whatever it echoes. Stray
requests (a favicon) get 404 and are otherwise ignored. The socket is closed on every way
out: success, error, ``cancel()``, and the timeout (five minutes by default).

``wait()`` blocks, so call it off the GUI thread; ``cancel()`` may be called from any thread.
"""

from __future__ import annotations

import html
import queue
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from panel.auth.errors import AuthorizationDenied, SignInCancelled, SignInTimedOut
from panel.auth.request import CallbackResult, StateMismatch, parse_callback

__all__ = ["DEFAULT_TIMEOUT", "LoopbackReceiver"]

DEFAULT_TIMEOUT = 300.0
CALLBACK_PATH = "/callback"

_CANCELLED = object()


def _page(kind: str, title: str, message: str, next_step: str = "") -> bytes:
    template = Template(
        resources.files("panel.auth").joinpath("pages/page.html").read_text(encoding="utf-8")
    )
    return template.substitute(
        kind=kind,
        title=html.escape(title),
        message=html.escape(message),
        next_step=html.escape(next_step),
    ).encode("utf-8")


class _Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, receiver: LoopbackReceiver) -> None:
        self.receiver = receiver
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look up our FQDN (a DNS query that can stall): skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # a browser's idle pre-connection must not hold a thread for ever
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self._send(404, _page("bad", "Not found", "This address is only for Quickture."))
            return
        status, body = self.server.receiver._handle(dict(parse_qsl(parts.query)))
        self._send(status, body)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Say nothing: the request line carries the authorization code."""


class LoopbackReceiver:
    """Wait for one authorization response on ``http://127.0.0.1:<port>/callback``."""

    def __init__(self, expected_state: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._state = expected_state
        self._timeout = timeout
        self._results: queue.Queue[object] = queue.Queue()
        self._done = threading.Event()
        self._accepting = threading.Lock()
        self._closed = threading.Lock()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="quickture-loopback",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"

    def wait(self) -> CallbackResult:
        """Block until the callback, ``cancel()`` or the timeout; always closes the socket."""
        try:
            try:
                outcome = self._results.get(timeout=self._timeout)
            except queue.Empty:
                raise SignInTimedOut() from None
            if outcome is _CANCELLED:
                raise SignInCancelled()
            if isinstance(outcome, AuthorizationDenied):
                raise outcome
            assert isinstance(outcome, CallbackResult)
            return outcome
        finally:
            self.close()

    def cancel(self) -> None:
        self._results.put(_CANCELLED)

    def close(self) -> None:
        """Stop serving and release the port; safe to call more than once, from any thread."""
        if not self._closed.acquire(blocking=False):
            return
        self._done.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handle(self, query: dict[str, str]) -> tuple[int, bytes]:
        try:
            result = parse_callback(query, self._state)
        except StateMismatch:
            return 400, _page(
                "bad",
                "This sign-in link isn't from your Quickture panel",
                "It does not match the sign-in the panel started, so it was ignored.",
                "Go back to the Quickture panel and click Sign In again.",
            )
        except AuthorizationDenied as exc:
            if self._accept(exc):
                return 200, _page(
                    "bad",
                    "Sign-in didn't finish",
                    exc.description or f"The sign-in server answered: {exc.error}.",
                    "Go back to the Quickture panel: it says what to do next.",
                )
            return 409, self._already_page()
        if self._accept(result):
            return 200, _page(
                "ok",
                "You're signed in to Quickture.",
                "You may close this window.",
                "The Quickture panel is finishing your sign-in.",
            )
        return 409, self._already_page()

    def _accept(self, outcome: object) -> bool:
        """Record the first outcome only; later callbacks are told the sign-in is over."""
        with self._accepting:
            if self._done.is_set():
                return False
            self._done.set()
        self._results.put(outcome)
        return True

    @staticmethod
    def _already_page() -> bytes:
        return _page(
            "bad",
            "This sign-in has already finished",
            "The Quickture panel already received an answer for this sign-in.",
            "If the panel is not signed in, click Sign In again.",
        )

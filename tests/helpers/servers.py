"""Run an ASGI app on a real socket on 127.0.0.1 (port 0, read back) in a background thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def bind_loopback() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this on Linux. Without it, each small response waits ~40 ms on
    # Nagle's algorithm and the client's delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextmanager
def serve_asgi(make_app: Callable[[str], Any], sock: socket.socket | None = None) -> Iterator[str]:
    """Yield the base URL of ``make_app(base_url)`` served by uvicorn on 127.0.0.1."""
    sock = sock or bind_loopback()
    port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    app = make_app(base_url)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", loop="asyncio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready = threading.Event()

    def wait() -> None:
        while not server.started and thread.is_alive():
            ready.wait(0.01)

    wait()
    if not server.started:
        raise RuntimeError("the test server did not start")
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

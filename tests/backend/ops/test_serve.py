"""``quickture-backend serve`` as a proxy sees it: ``X-Forwarded-For``/``-Proto`` are believed
only from the addresses in ``QUICKTURE_TRUSTED_PROXIES``; the request log shows the result."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

EXE = str(Path(sys.executable).with_name("quickture-backend"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def served_client(tmp_path: Path, trusted: str | None) -> str:
    """Serve, send one request that claims to come from 203.0.113.9, and return the client
    address that the backend logged for it."""
    port = free_port()
    ours = ("QUICKTURE_", "PROMETHEUS_MULTIPROC", "FORWARDED_ALLOW")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env["QUICKTURE_DATA_DIR"] = str(tmp_path / "data")
    if trusted is not None:
        env["QUICKTURE_TRUSTED_PROXIES"] = trusted
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([EXE, "serve", "--port", str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # allow-sleep: bounded poll for the server to listen
        r = httpx.get(url + "/healthz", headers={"X-Forwarded-For": "203.0.113.9",
                      "X-Forwarded-Proto": "https", "X-Request-ID": "probe-1"})  # fmt: skip
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    probe = [x for x in lines if x.get("request_id") == "probe-1"]
    assert len(probe) == 1, log.read_text()
    return str(probe[0]["client"])


def test_forwarded_headers_are_ignored_without_trusted_proxies(tmp_path: Path) -> None:
    client = served_client(tmp_path, None)
    assert client == "127.0.0.1"


def test_forwarded_headers_are_believed_from_a_trusted_proxy(tmp_path: Path) -> None:
    client = served_client(tmp_path, "127.0.0.1")
    assert client == "203.0.113.9"


def test_a_proxy_list_without_this_address_is_not_believed(tmp_path: Path) -> None:
    client = served_client(tmp_path, "10.1.2.3,192.0.2.0/24")
    assert client == "127.0.0.1"

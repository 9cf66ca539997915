"""The backend as an operator runs it at scale: ``serve --workers 2`` on PostgreSQL.

Configured with the real admin CLI, provisioned over SCIM, then one full sign-in (the panel's
own PKCE code and an injected browser, through the mock Okta) and an Okta-style SCIM import
(``GET /scim/v2/Users`` page by page). Every request opens a new connection, so the two
workers share the work; nothing a request needs may live in one worker's memory, and
``/metrics`` must add up both workers' counts.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.e2e.test_demo import metric, panel_sign_in

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
]

ROOT = Path(__file__).resolve().parents[2]
EXE = str(Path(sys.executable).with_name("quickture-backend"))
USERS = 23  # three pages of 10


def load_demo() -> ModuleType:
    """scripts/demo.py: its scripted Okta SCIM client and Complete Setup click are reused."""
    spec = importlib.util.spec_from_file_location("quickture_demo", ROOT / "scripts" / "demo.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["quickture_demo"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo_kit() -> ModuleType:
    return load_demo()


@pytest.fixture
def okta_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the mock's token endpoint on http
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://127.0.0.1:{server.server_port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def test_two_workers_on_postgres_sign_in_and_scim_import(
    pg_url: str, okta_url: str, tmp_path: Path, demo_kit: ModuleType
) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("QUICKTURE_", "PROMETHEUS_MULTIPROC"))}  # fmt: skip
    env.update(QUICKTURE_DATA_DIR=str(tmp_path / "data"), QUICKTURE_DATABASE_URL=pg_url,
               QUICKTURE_BASE_URL=base_url,
               QUICKTURE_SECRET_KEY=Fernet.generate_key().decode())  # fmt: skip

    def cli(*args: str, **extra: str) -> dict[str, Any]:
        proc = subprocess.run([EXE, *args, "--json"], env={**env, **extra}, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=60)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        result: dict[str, Any] = json.loads(proc.stdout)
        return result

    cli("migrate")
    org = cli("org", "create", "--name", "Acme Post", "--domain", "acme.test")
    cli("admin", "create", "--org", org["id"], "--email", "it@acme.test",
        QUICKTURE_ADMIN_PASSWORD="correct horse battery")  # fmt: skip
    conn = cli("connection", "create", "--org", org["id"], "--issuer", okta_url,
               "--client-id", "0oa-multi", QUICKTURE_CLIENT_SECRET="s3cret")  # fmt: skip
    token = cli("scim-token", "create", "--connection", conn["id"])["token"]

    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([EXE, "serve", "--host", "127.0.0.1", "--port", str(port),
                                   "--workers", "2"], env=env, stdout=out,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, (
                "serve --workers 2 did not start:\n" + log.read_text()
            )
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # allow-sleep: bounded poll for the server to listen
        # uvicorn's supervisor has two worker processes (and nothing else serving)
        workers = children_of(server.pid)
        assert len(workers) >= 2, workers

        # Okta provisions the editors (each call on a fresh connection: any worker answers)
        people = [demo_kit.DemoUser(f"user{i:02d}@acme.test", "User", f"Number{i:02d}")
                  for i in range(USERS - 1)]  # fmt: skip
        ada = demo_kit.DemoUser("ada@acme.test", "Ada", "Lovelace")
        created = {demo_kit.okta_provision(base_url, token, u) for u in [ada, *people]}
        assert len(created) == USERS
        demo_kit.okta_set_user(okta_url, ada)
        demo_kit.complete_setup(base_url, "correct horse battery", conn["id"])

        # one full sign-in: the login transaction and the code may meet different workers
        result = panel_sign_in(base_url, "ada@acme.test")
        assert result.me["email"] == "ada@acme.test"
        assert result.me["connection_id"] == conn["id"]

        # Okta's import: page through every user, 10 at a time, each page on a new connection
        seen: list[str] = []
        start, pages = 1, 0
        headers = {"Authorization": f"Bearer {token}", "User-Agent": "Okta SCIM Client 1.0.0"}
        while True:
            page = httpx.get(f"{base_url}/scim/v2/Users", headers=headers, timeout=10,
                             params={"startIndex": str(start), "count": "10"})  # fmt: skip
            assert page.status_code == 200, page.text
            body = page.json()
            assert body["totalResults"] == USERS
            assert body["startIndex"] == start
            got = [r["id"] for r in body.get("Resources", [])]
            seen += got
            pages += 1
            if not got or start + len(got) > body["totalResults"]:
                break
            start += len(got)
        assert pages == 3
        assert len(seen) == len(set(seen)) == USERS and set(seen) == created

        # /metrics adds up both workers: every SCIM list call is counted, whoever answered
        text = httpx.get(f"{base_url}/metrics", timeout=10).text
        lists = metric(text, "quickture_scim_operations_total",
                       f'connection="{conn["id"]}",op="list"')  # fmt: skip
        assert lists == USERS + pages  # one look-up per provisioned user, plus the import
        assert metric(text, "quickture_sign_ins_total", 'outcome="success",reason=""') == 1
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    pids = Counter(
        json.loads(line)["pid"]
        for line in log.read_text().splitlines()
        if line.startswith("{") and '"event":"request"' in line
    )
    print(f"requests per worker: {dict(pids)}")
    assert set(pids) <= set(workers)
    assert not re.search(r"Traceback", log.read_text()), log.read_text()

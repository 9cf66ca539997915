"""The whole sign-in across two backend processes on one SQLite database.

Two ``quickture-backend serve`` processes share the database file and ``QUICKTURE_SECRET_KEY``,
with the same public base URL (as behind a load balancer). The browser's authorize request and
login form go to the first, Okta's callback and the panel's token exchange reach the second,
and ``/api/v1/me`` goes back to the first: nothing the sign-in needs lives in one process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from cryptography.fernet import Fernet

from backend.domain import connections, orgs
from backend.runtime import Runtime
from backend.settings import Settings
from tests.backend.sso.kit import (
    OKTA_CLIENT_ID,
    OKTA_CLIENT_SECRET,
    Backend,
    Browser,
    MockOkta,
    Panel,
    mock_okta,
)
from tests.helpers.servers import bind_loopback

pytestmark = [pytest.mark.slow]

EXE = str(Path(sys.executable).with_name("quickture-backend"))


def free_port() -> int:
    sock = bind_loopback()
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the backend exited with {proc.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # allow-sleep
    raise TimeoutError(f"{url} did not become healthy")


@pytest.fixture
def okta() -> Iterator[MockOkta]:
    with mock_okta() as provider:
        yield provider


@pytest.fixture
def two_backends(tmp_path: Path, okta: MockOkta) -> Iterator[tuple[Backend, str, str]]:
    """(setup handle, URL of process A, URL of process B); the public base URL is A's."""
    port_a, port_b = free_port(), free_port()
    base = f"http://127.0.0.1:{port_a}"
    env = {
        **os.environ,
        "QUICKTURE_DATA_DIR": str(tmp_path / "data"),
        "QUICKTURE_BASE_URL": base,
        "QUICKTURE_SECRET_KEY": Fernet.generate_key().decode(),
    }
    env.pop("QUICKTURE_DATABASE_URL", None)
    subprocess.run([EXE, "migrate"], env=env, check=True, capture_output=True)
    settings = Settings.from_env(env)
    rt = Runtime.open(settings)
    with rt.db.write() as s:
        org = orgs.create_org(s, "Acme Post", ["acme.test"], actor="test")
        conn = connections.create_connection(
            s, rt.box, org_id=org.id, issuer=okta.url, client_id=OKTA_CLIENT_ID,
            client_secret=OKTA_CLIENT_SECRET, actor="test",
        )  # fmt: skip
        connections.set_setup_state(s, conn.id, "complete", actor="test")
    procs = [
        subprocess.Popen(
            [EXE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for port in (port_a, port_b)
    ]
    try:
        url_a, url_b = base, f"http://127.0.0.1:{port_b}"
        wait_healthy(url_a, procs[0])
        wait_healthy(url_b, procs[1])
        yield (
            Backend(rt=rt, url=url_a, okta=okta, org_id=org.id, connection_id=conn.id),
            url_a,
            url_b,
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
        rt.close()


def on(url: str, other_base: str) -> str:
    """``url`` sent to the other process (what a load balancer may do)."""
    parts, other = urlsplit(url), urlsplit(other_base)
    return urlunsplit(parts._replace(netloc=other.netloc))


def test_full_flow_across_two_processes(two_backends):
    backend, url_a, url_b = two_backends
    email = "ada@acme.test"
    user_id = backend.provision(email)  # over SCIM, to process A
    panel_a = Panel(url_a)
    with Browser() as browser:
        # authorize and the login form on A
        page = browser.follow(browser.get(panel_a.authorize_url()))
        assert str(page.url).startswith(url_a + "/login")
        back = browser.okta_login(browser.submit_email(page, email), email)
        callback = back.headers["location"]
        assert callback.startswith(url_a + "/login/callback?")
        # Okta's callback lands on B; B finishes and continues to /oauth/authorize on B
        done = browser.follow(browser.get(on(callback, url_b)), stop_at=panel_a.redirect_uri)
        assert str(done.url).startswith(url_b + "/oauth/authorize?")
        code = panel_a.code_from(done)  # iss is the shared public base URL
    # the panel's token exchange on B
    panel_b = Panel(url_b, verifier=panel_a.verifier, state=panel_a.state, nonce=panel_a.nonce)
    tokens = panel_b.exchange(code)
    assert tokens.status_code == 200, tokens.text
    access = tokens.json()["access_token"]
    # /api/v1/me on A, with a token B signed (with the key both share through the database)
    me = panel_a.me(access)
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user_id and me.json()["organization"]["name"] == "Acme Post"
    # refresh on A; reuse of the old refresh token on B revokes the family for both
    refreshed = panel_a.refresh(tokens.json()["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert panel_b.refresh(tokens.json()["refresh_token"]).json()["reason"] == "revoked"
    assert panel_a.me(refreshed.json()["access_token"]).json()["reason"] == "revoked"

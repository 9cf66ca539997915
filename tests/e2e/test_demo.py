"""The demo (scripts/demo.py) started in the background, driven through a full sign-in with an
injected browser and the panel's own sign-in code, then stopped: nothing may be left behind.

The browser is an httpx client that keeps cookies, follows redirects hop by hop, fills in
Quickture's work-email form and the mock Okta's form. The panel's part is the real
``panel.auth`` session (PKCE, loopback receiver, code exchange) with an in-memory token store.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_NEXT = re.compile(r'name="next" value="([^"]*)"')


# -- the injected browser -------------------------------------------------------------------------


class Browser:
    """Keeps cookies; follows redirects one hop at a time so a test sees where it is."""

    def __init__(self) -> None:
        self.client = httpx.Client(timeout=15)

    def close(self) -> None:
        self.client.close()

    def follow(self, response: httpx.Response, *, limit: int = 12) -> httpx.Response:
        for _ in range(limit):
            if not response.is_redirect:
                return response
            response = self.client.get(urljoin(str(response.url), response.headers["location"]))
        raise AssertionError("too many redirects")

    def sign_in(self, start: str, email: str) -> httpx.Response:
        """From ``start`` through Quickture's email page and the mock Okta, to wherever the
        redirects end (for the panel: its loopback page)."""
        page = self.follow(self.client.get(start))
        assert page.status_code == 200 and 'name="email"' in page.text, page.text[:500]
        csrf, nxt = _CSRF.search(page.text), _NEXT.search(page.text)
        assert csrf, "no CSRF token on the login page"
        data = {"email": email, "csrf_token": csrf.group(1),
                "next": nxt.group(1).replace("&amp;", "&") if nxt else ""}  # fmt: skip
        to_okta = self.client.post(urljoin(str(page.url), "/login"), data=data)
        assert to_okta.status_code == 303, to_okta.text[:500]
        okta_url = to_okta.headers["location"]
        form = self.client.get(okta_url)
        assert form.status_code == 200 and 'name="sub"' in form.text, form.text[:300]
        back = self.client.post(okta_url, data={"sub": email})  # the demo's subs are emails
        assert back.status_code == 302, back.text[:300]
        return self.follow(self.client.get(back.headers["location"]))


@dataclass
class PanelSignIn:
    me: dict[str, Any]
    releases: dict[str, Any]
    loopback_page: str


def panel_sign_in(backend_url: str, email: str) -> PanelSignIn:
    """The panel's real sign-in code, with the browser above standing in for the system one."""
    from panel.auth.oauth import OAuthClient
    from panel.auth.session import AuthSession
    from panel.auth.store import MemoryTokenStore

    browser = Browser()
    with httpx.Client(timeout=15) as http:
        session = AuthSession(OAuthClient(http, backend_url, clock=time.time),
                              MemoryTokenStore(), clock=time.time)  # fmt: skip
        pending = session.begin_sign_in()
        try:
            assert pending.redirect_uri.startswith("http://127.0.0.1:")
            landed = browser.sign_in(pending.url, email)
            assert str(landed.url).startswith(pending.redirect_uri), landed.url
            pending.finish()
        finally:
            pending.close()
            browser.close()
        bearer = {"Authorization": f"Bearer {session.access_token()}"}
        me = http.get(f"{backend_url}/api/v1/me", headers=bearer)
        assert me.status_code == 200, me.text
        releases = http.get(f"{backend_url}/api/v1/releases/latest", headers=bearer)
        assert releases.status_code == 200, releases.text
        return PanelSignIn(me=me.json(), releases=releases.json(), loopback_page=landed.text)


# -- processes and ports --------------------------------------------------------------------------


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not running
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(path: Path, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the demo exited with {proc.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"the demo did not get ready in {timeout:.0f} s:\n{log.read_text()}")
        time.sleep(0.1)  # allow-sleep: bounded poll for the demo's ready file


@dataclass
class RunningDemo:
    proc: subprocess.Popen[bytes]
    info: dict[str, Any]
    log: Path
    started_in: float

    def stop(self) -> float:
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=60) == 0, self.log.read_text()
        return time.monotonic() - start


@pytest.fixture
def xdisplay() -> Iterator[str | None]:
    """A virtual X display (Xvfb) so the demo starts the real panel; None without Xvfb."""
    if sys.platform != "linux" or shutil.which("Xvfb") is None:
        yield None
        return
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    os.close(write)
    with os.fdopen(read) as fh:
        number = fh.readline().strip()  # Xvfb writes the display number once it is ready
    try:
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=30)


@pytest.fixture
def demo(tmp_path: Path, xdisplay: str | None) -> Iterator[RunningDemo]:
    ready, log = tmp_path / "ready.json", tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("QUICKTURE_", "DISPLAY", "WAYLAND_DISPLAY"))}  # fmt: skip
    if xdisplay:
        env["DISPLAY"] = xdisplay
        env.pop("QT_QPA_PLATFORM", None)  # the real panel window, on the virtual display
    start = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "demo.py"), "--ready-file", str(ready)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=ROOT,
        )  # fmt: skip
    running = None
    try:
        wait_for(ready, proc, log, timeout=120)
        running = RunningDemo(proc, json.loads(ready.read_text()), log, time.monotonic() - start)
        yield running
    finally:
        if proc.poll() is None:  # a failed test: still stop it
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if running is not None:  # never leave the demo's children behind, whatever happened
            for pid in running.info["pids"].values():
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)


def metric(text: str, name: str, labels: str) -> float:
    m = re.search(rf"^{re.escape(name)}\{{{re.escape(labels)}\}} (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_the_demo_signs_an_editor_in_and_stops_without_leftovers(
    demo: RunningDemo, xdisplay: str | None
) -> None:
    info = demo.info
    url = info["backend_url"]
    if xdisplay:  # the panel runs, pointed at the demo's backend
        assert info["panel"] == "running" and alive(info["pids"]["panel"])
    else:
        assert info["panel"].startswith("no display")
    log = demo.log.read_text()
    assert "ada@acme.test" in log and "linus@acme.test" in log and info["admin_password"] in log
    assert url in log and info["okta_url"] in log

    # The editor signs in through the panel's real PKCE code and the injected browser.
    result = panel_sign_in(url, "ada@acme.test")
    assert result.me["email"] == "ada@acme.test"
    assert result.me["display_name"] == "Ada Lovelace"
    assert result.me["connection_id"] == info["connection_id"]
    assert result.me["organization"]["name"] == "Acme Post"
    products = {(r["product"], r["platform"]) for r in result.releases["releases"]}
    assert products == {("avid", "macos"), ("premiere", "windows")}

    # The leaver was deactivated over SCIM: Okta lets them in, Quickture refuses.
    browser = Browser()
    try:
        refused = browser.sign_in(f"{url}/dashboard", "linus@acme.test")
    finally:
        browser.close()
    assert refused.status_code == 403, refused.status_code
    assert "deactivated" in refused.text.lower()

    # What an operator sees of it.
    text = httpx.get(f"{url}/metrics", timeout=10).text
    cid = info["connection_id"]
    assert metric(text, "quickture_sign_ins_total", 'outcome="success",reason=""') >= 1
    assert metric(text, "quickture_sign_ins_total", 'outcome="failure",reason="deactivated"') >= 1
    assert metric(text, "quickture_scim_operations_total", f'connection="{cid}",op="create"') == 3
    assert metric(text, "quickture_scim_operations_total", f'connection="{cid}",op="patch"') == 1

    if xdisplay:  # still up after all that, and it has not complained
        assert alive(info["pids"]["panel"])
        panel_log = (Path(info["data_dir"]) / "logs" / "panel.log").read_text()
        assert "Traceback" not in panel_log, panel_log

    # Ctrl+C (SIGTERM here): every process ends, every port closes, the data goes.
    took = demo.stop()
    assert "stopped: every demo process has exited" in demo.log.read_text()
    for name, pid in info["pids"].items():
        assert not alive(pid), f"{name} (pid {pid}) is still running"
    for port in info["ports"]:
        assert not listening(port), f"port {port} is still open"
    assert not Path(info["data_dir"]).exists()
    print(f"demo ready in {demo.started_in:.1f} s, stopped in {took:.1f} s")

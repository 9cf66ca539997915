"""The whole Quickture story on this machine, on 127.0.0.1, with a fresh data directory.

    .venv/bin/python scripts/demo.py [--no-panel] [--keep-data] [--ready-file FILE]

Starts, each in its own process:

1. ``oidc-provider-mock`` standing in for the customer's Okta (OpenID Connect);
2. the backend (``quickture-backend serve``) on SQLite in a temporary data directory,
   configured through the real admin CLI (organization, domain, local admin, connection,
   SCIM token) and provisioned through the real SCIM API exactly as Okta's provisioning client
   does it (look up by ``userName``, create, and a ``PATCH active=false`` for one leaver);
   the connection's setup is completed by the local admin in the Dashboard (the real form);
   one Avid and one Premiere release are published with ``release publish``;
3. the panel (``quickture-panel --backend URL``) when there is a display.

It prints what runs where, the emails to type and the admin login, then waits. Ctrl+C (or
SIGTERM) stops every process it started, waits for them, and deletes the data directory.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

HOST = "127.0.0.1"
DOMAIN = "acme.test"
ORG_NAME = "Acme Post"
ADMIN_EMAIL = f"it@{DOMAIN}"
OKTA_CLIENT_ID = "0oa-quickture-demo"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
SCIM_JSON = "application/scim+json"
OKTA_AGENT = "Okta SCIM Client 1.0.0"


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    given: str
    family: str
    active: bool = True

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"


USERS = (
    DemoUser("ada@acme.test", "Ada", "Lovelace"),
    DemoUser("grace@acme.test", "Grace", "Hopper"),
    DemoUser("linus@acme.test", "Linus", "Leaver", active=False),
)
RELEASES = (
    ("avid", "2.4.1", "macos", "Quickture-Avid-2.4.1-macOS.zip",
     "Demo build: faster scene detection in Media Composer."),
    ("premiere", "3.1.0", "windows", "Quickture-Premiere-3.1.0-Windows.zxp",
     "Demo build: transcripts in the Premiere panel."),
)  # fmt: skip


class DemoError(Exception):
    """The demo could not start; the message says which step failed."""


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path


@dataclass
class Demo:
    data_dir: Path
    keep_data: bool = False
    children: list[Child] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    # -- processes ----------------------------------------------------------------------------

    def start(self, name: str, argv: Sequence[str], env: dict[str, str]) -> Child:
        log = self.data_dir / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                list(argv), env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                start_new_session=True,  # its own process group: stopped as one, by us
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )  # fmt: skip
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def stop(self) -> None:
        """Stop every child (newest first), wait for each, then remove the data directory."""
        for child in reversed(self.children):
            if child.proc.poll() is None:
                _signal_group(child.proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in reversed(self.children):
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child.proc, signal.SIGKILL)
                child.proc.wait(timeout=STOP_TIMEOUT_S)
            # Anything left in its group (a worker, a helper) goes too.
            _signal_group(child.proc, signal.SIGKILL)
        if not self.keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def watch(self) -> Child | None:
        """Wait until asked to stop; returns a child that died on its own meanwhile.

        The panel closed by its user (exit 0) is not a failure: the backend side goes on."""
        panel_closed = False
        while not self.stopping.wait(0.5):
            for child in self.children:
                if child.proc.poll() is None:
                    continue
                if child.name == "panel" and child.proc.returncode == 0:
                    if not panel_closed:
                        say("the panel was closed; the backend side keeps running "
                            "(Ctrl+C stops it)")  # fmt: skip
                        panel_closed = True
                    continue
                return child
        return None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM if the demo itself is killed (no orphans even then)."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_until(what: str, check: Callable[[], bool], child: Child,
               timeout: float = START_TIMEOUT_S) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            raise DemoError(f"{child.name} exited with {child.proc.returncode} before {what}; "
                            f"its log:\n{_tail(child.log)}")  # fmt: skip
        with contextlib.suppress(httpx.HTTPError):
            if check():
                return
        time.sleep(0.1)  # allow-sleep: bounded poll for a subprocess to listen
    raise DemoError(f"timed out waiting for {what}; {child.name}'s log:\n{_tail(child.log)}")


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# -- the admin CLI ------------------------------------------------------------------------------


def backend_cli() -> list[str]:
    exe = Path(sys.executable).with_name("quickture-backend")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "from backend.cli import main; main()"]


def cli(env: dict[str, str], *args: str, **extra_env: str) -> dict[str, Any]:
    proc = subprocess.run(
        [*backend_cli(), *args, "--json"], env={**env, **extra_env}, capture_output=True,
        text=True, stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip
    if proc.returncode != 0:
        raise DemoError(f"`quickture-backend {' '.join(args)}` failed: {proc.stderr.strip()}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


# -- Okta's two halves: the OpenID Provider (mock) and the SCIM client (scripted) ---------------


def okta_set_user(okta_url: str, user: DemoUser) -> None:
    """Preset what the mock's ID token says about ``user`` (sub = the email, so a person can
    type the email on the mock's form)."""
    claims = {
        "email": user.email, "email_verified": True, "preferred_username": user.email,
        "name": user.name, "given_name": user.given, "family_name": user.family,
    }  # fmt: skip
    r = httpx.put(f"{okta_url}/users/{quote(user.email, safe='@')}", json=claims, timeout=10)
    if r.status_code != 204:
        raise DemoError(f"the mock Okta refused user {user.email}: {r.status_code} {r.text}")


def okta_provision(base_url: str, token: str, user: DemoUser) -> str:
    """What Okta's provisioning does on assignment: look the user up, create, and (for a
    leaver) deactivate with PATCH. Returns the SCIM id."""
    headers = {"Authorization": f"Bearer {token}", "Accept": SCIM_JSON,
               "User-Agent": OKTA_AGENT}  # fmt: skip
    with httpx.Client(base_url=f"{base_url}/scim/v2", headers=headers, timeout=10) as scim:
        found = scim.get("/Users", params={"filter": f'userName eq "{user.email}"',
                                           "startIndex": "1", "count": "100"})  # fmt: skip
        _expect(found, 200, "look up", user)
        if found.json().get("totalResults"):
            user_id = str(found.json()["Resources"][0]["id"])
        else:
            body = {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": user.email,
                "name": {"givenName": user.given, "familyName": user.family},
                "emails": [{"primary": True, "value": user.email, "type": "work"}],
                "displayName": user.name,
                "locale": "en-US",
                "externalId": "00u" + secrets.token_hex(7),
                "groups": [],
                "password": secrets.token_urlsafe(12),
                "active": True,
            }
            created = scim.post("/Users", content=json.dumps(body),
                                headers={"Content-Type": SCIM_JSON})  # fmt: skip
            _expect(created, 201, "create", user)
            user_id = str(created.json()["id"])
        if not user.active:
            patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                     "Operations": [{"op": "replace", "value": {"active": False}}]}  # fmt: skip
            done = scim.patch(f"/Users/{user_id}", content=json.dumps(patch),
                              headers={"Content-Type": SCIM_JSON})  # fmt: skip
            _expect(done, 200, "deactivate", user)
    return user_id


def _expect(r: httpx.Response, status: int, what: str, user: DemoUser) -> None:
    if r.status_code != status:
        raise DemoError(f"SCIM {what} of {user.email}: {r.status_code} {r.text[:300]}")


# -- the IT admin in the Dashboard --------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def complete_setup(base_url: str, password: str, connection_id: str) -> None:
    """Sign in as the local admin and click Complete Setup, as the guide's last wizard step."""
    with httpx.Client(base_url=base_url, timeout=10) as browser:
        page = browser.get("/admin/login")
        form = {"email": ADMIN_EMAIL, "password": password, "next": "/dashboard",
                "csrf_token": _csrf(page)}  # fmt: skip
        signed_in = browser.post("/admin/login", data=form)
        if signed_in.status_code != 303:
            raise DemoError(f"the admin could not sign in: {signed_in.status_code}")
        assign = browser.get(f"/dashboard/setup/{connection_id}/assign")
        done = browser.post(f"/dashboard/setup/{connection_id}/complete",
                            data={"csrf_token": _csrf(assign)})  # fmt: skip
        if done.status_code != 303 or "completed" not in done.headers.get("location", ""):
            raise DemoError(f"Complete Setup failed: {done.status_code} {done.text[:300]}")


def _csrf(page: httpx.Response) -> str:
    m = _CSRF.search(page.text)
    if page.status_code != 200 or not m:
        raise DemoError(f"no form at {page.url}: {page.status_code}")
    return m.group(1)


# -- releases -----------------------------------------------------------------------------------


def make_release_file(folder: Path, filename: str, product: str, version: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.txt", f"Quickture for {product.title()} {version}: a demo package.\n")
        z.writestr("manifest.json", json.dumps({"product": product, "version": version}))
    path = folder / filename
    path.write_bytes(buf.getvalue())
    return path


def publish_release(env: dict[str, str], data_dir: Path, product: str, version: str,
                    platform: str, filename: str, notes: str) -> None:  # fmt: skip
    path = make_release_file(data_dir / "release-files", filename, product, version)
    cli(env, "release", "publish", "--product", product, "--version", version,
        "--platform", platform, "--notes", notes, str(path))  # fmt: skip


# -- the panel ----------------------------------------------------------------------------------


def display_problem() -> str | None:
    """None when a window can be shown, else why not."""
    if sys.platform in ("darwin", "win32"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return "no display (DISPLAY and WAYLAND_DISPLAY are not set)"


def panel_command(backend_url: str) -> list[str]:
    exe = Path(sys.executable).with_name("quickture-panel")
    base = [str(exe)] if exe.exists() else [sys.executable, "-c",
                                             "import sys; from panel.app import main; "
                                             "sys.exit(main())"]  # fmt: skip
    return [*base, "--backend", backend_url]


# -- the whole thing ----------------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("QUICKTURE_", "PROMETHEUS_MULTIPROC"))}  # fmt: skip
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run(args: argparse.Namespace, demo: Demo) -> dict[str, Any]:
    env = clean_env()
    okta_port = args.okta_port or free_port()
    okta_url = f"http://{HOST}:{okta_port}"
    okta = demo.start("okta", [sys.executable, "-m", "oidc_provider_mock", "--host", HOST,
                               "--port", str(okta_port)], env)  # fmt: skip
    say(f"starting the mock Okta on {okta_url} ...")

    port = args.port or free_port()
    base_url = f"http://{HOST}:{port}"
    backend_env = {**env, "QUICKTURE_DATA_DIR": str(demo.data_dir / "data"),
                   "QUICKTURE_BASE_URL": base_url}  # fmt: skip
    say(f"configuring the backend in {demo.data_dir} with the admin CLI ...")
    cli(backend_env, "migrate")
    # The backend boots while the CLI configures it (SQLite in WAL mode takes both); steps
    # that do not depend on each other run side by side, each CLI call is its own process.
    backend = demo.start("backend", [*backend_cli(), "serve", "--host", HOST, "--port",
                                     str(port)], backend_env)  # fmt: skip
    say(f"starting the backend on {base_url} ...")
    admin_password = secrets.token_urlsafe(9)
    with ThreadPoolExecutor(max_workers=4) as pool:
        releases = [pool.submit(publish_release, backend_env, demo.data_dir, *release)
                    for release in RELEASES]  # fmt: skip
        org = cli(backend_env, "org", "create", "--name", ORG_NAME, "--domain", DOMAIN)
        admin = pool.submit(cli, backend_env, "admin", "create", "--org", org["id"], "--email",
                            ADMIN_EMAIL, QUICKTURE_ADMIN_PASSWORD=admin_password)  # fmt: skip
        conn = cli(backend_env, "connection", "create", "--org", org["id"], "--issuer",
                   okta_url, "--client-id", OKTA_CLIENT_ID,
                   QUICKTURE_CLIENT_SECRET=secrets.token_urlsafe(24))  # fmt: skip
        token = cli(backend_env, "scim-token", "create", "--connection", conn["id"])["token"]
        admin.result()

        wait_until("the mock Okta to answer", lambda: httpx.get(
            f"{okta_url}/.well-known/openid-configuration", timeout=2).status_code == 200,
            okta)  # fmt: skip
        wait_until("the backend to be healthy", lambda: httpx.get(
            f"{base_url}/healthz", timeout=2).status_code == 200, backend)  # fmt: skip

        say("provisioning the demo users over SCIM, as Okta does ...")
        for user in USERS:
            okta_set_user(okta_url, user)
            okta_provision(base_url, token, user)
        complete_setup(base_url, admin_password, conn["id"])
        say("publishing the demo releases ...")
        for release in releases:
            release.result()

    panel_pid: int | None = None
    problem = "not started (--no-panel)" if args.no_panel else display_problem()
    if problem is None:
        panel = demo.start("panel", panel_command(base_url), env)
        panel_pid = panel.proc.pid

    info: dict[str, Any] = {
        "backend_url": base_url,
        "okta_url": okta_url,
        "data_dir": str(demo.data_dir),
        "organization_id": org["id"],
        "connection_id": conn["id"],
        "admin_email": ADMIN_EMAIL,
        "admin_password": admin_password,
        "users": [u.email for u in USERS if u.active],
        "deactivated": [u.email for u in USERS if not u.active],
        "pids": {c.name: c.proc.pid for c in demo.children},
        "ports": [port, okta_port],
        "panel": "running" if panel_pid else problem,
    }
    print_summary(info, problem)
    return info


def print_summary(info: dict[str, Any], panel_problem: str | None) -> None:
    url = info["backend_url"]
    active = [u for u in USERS if u.active]
    leaver = [u for u in USERS if not u.active]
    panel_line = (f"running (pid {info['pids']['panel']}), pointed at {url}"
                  if panel_problem is None else
                  f"{panel_problem}; the backend side keeps running. Start it yourself with "
                  f"`.venv/bin/quickture-panel --backend {url}`")  # fmt: skip
    lines = [
        "",
        "Quickture demo is running. Ctrl+C stops everything.",
        "",
        f"  Backend     {url}   (SQLite in {info['data_dir']}/data)",
        f"  Dashboard   {url}/dashboard",
        f"  Okta (mock) {info['okta_url']}   (oidc-provider-mock)",
        f"  Panel       {panel_line}",
        f"  Health      {url}/healthz    Metrics {url}/metrics",
        f"  Logs        {info['data_dir']}/logs/",
        "",
        "Sign in (the panel's Sign In button, or the Dashboard):",
        "  1. on Quickture's page, type one of the demo work emails below;",
        "  2. on the mock Okta's page, type the same email into the `sub` box and Authorize.",
        "",
        "  Editors (provisioned over SCIM, active):",
        *[f"    {u.email:<20} {u.name}" for u in active],
        "  Deactivated in Okta (to see the refusal):",
        *[f"    {u.email:<20} {u.name}" for u in leaver],
        "",
        f"  Local admin: {url}/admin/login   {info['admin_email']} / {info['admin_password']}",
        "  Releases:    " + ", ".join(f"{p.title()} {v} ({pl})" for p, v, pl, _, _ in RELEASES),
        "",
    ]
    print("\n".join(lines), flush=True)


def say(message: str) -> None:
    print(message, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-panel", action="store_true", help="do not start the panel")
    parser.add_argument("--port", type=int, default=0, help="backend port (default: a free one)")
    parser.add_argument("--okta-port", type=int, default=0, help="mock Okta port (default: free)")
    parser.add_argument("--keep-data", action="store_true", help="keep the data directory")
    parser.add_argument("--ready-file", type=Path,
                        help="write the URLs, logins and pids as JSON here once ready")  # fmt: skip
    args = parser.parse_args(argv)

    demo = Demo(data_dir=Path(tempfile.mkdtemp(prefix="quickture-demo-")),
                keep_data=args.keep_data)  # fmt: skip

    def on_signal(signum: int, _frame: object) -> None:
        demo.stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    code = 0
    try:
        info = run(args, demo)
        if args.ready_file:
            tmp = args.ready_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(info))
            tmp.replace(args.ready_file)
        died = demo.watch()
        if died is not None:
            say(f"{died.name} stopped unexpectedly (exit {died.proc.returncode}); "
                f"its log:\n{_tail(died.log)}")  # fmt: skip
            code = 1
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        say("stopping ...")
        demo.stop()
        say("stopped: every demo process has exited" +
            ("" if demo.keep_data else " and the data directory is removed"))  # fmt: skip
    return code


if __name__ == "__main__":
    sys.exit(main())

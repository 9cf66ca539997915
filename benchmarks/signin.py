"""Benchmark: the backend's own share of a full sign-in, and the token endpoint's throughput.

Runs ``quickture-backend serve`` as a subprocess (a fresh SQLite database, or
``--database-url``) and ``oidc-provider-mock`` as Okta in this process, on loopback. A sign-in
is the whole browser + panel flow: ``/oauth/authorize`` (no session) -> ``/login`` -> the email
form -> Okta -> ``/login/callback`` -> ``/oauth/authorize`` -> the code -> ``/oauth/token`` ->
``/api/v1/me``. Every request to the backend is timed from the client; the time Okta spent
answering the backend's own calls during ``/login/callback`` (the code exchange, keys) is
measured inside the mock and subtracted, so "backend share" is what our process costs.

Token endpoint throughput: ``grant_type=refresh_token`` with rotation, each client refreshing
its own family in a chain, and ``grant_type=authorization_code`` with codes minted straight
into the database (PKCE verified, ID token signed), with ``--concurrency`` clients.

    .venv/bin/python benchmarks/signin.py [--sign-ins 40] [--refreshes 400] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.domain import connections, orgs, scim_tokens  # noqa: E402
from backend.oauth.grants import secret_hash  # noqa: E402
from backend.runtime import Runtime  # noqa: E402
from backend.settings import Settings  # noqa: E402
from backend.store.models import OAuthCode  # noqa: E402
from backend.store.models.base import utcnow  # noqa: E402

EXE = str(Path(sys.executable).with_name("quickture-backend"))
TLS = ssl.create_default_context()
PANEL = "quickture-panel"
REDIRECT = "http://127.0.0.1:53682/callback"
SCOPE = "openid profile email offline_access"


# -- Okta, timed from the inside ------------------------------------------------------------------


class TimedWsgi:
    """Adds up the time the mock spends per request path (to subtract Okta's share)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.total = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        t0 = time.perf_counter()
        try:
            return list(self.app(environ, start_response))
        finally:
            with self.lock:
                self.total += time.perf_counter() - t0


@contextmanager
def okta() -> Iterator[tuple[str, TimedWsgi]]:
    import logging

    import werkzeug.serving

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import oidc_provider_mock

        app = TimedWsgi(oidc_provider_mock.app())
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


# -- the backend as a subprocess ------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def backend(okta_url: str, database_url: str | None) -> Iterator[tuple[str, Runtime, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="qt-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "QUICKTURE_DATA_DIR": str(tmp),
        "QUICKTURE_BASE_URL": base,
        "QUICKTURE_SECRET_KEY": Fernet.generate_key().decode(),
        # as behind a load balancer: each simulated editor has its own address (X-Forwarded-For),
        # so the login form's per-address rate limit does not throttle the benchmark
        "QUICKTURE_TRUSTED_PROXIES": "127.0.0.1",
    }
    if database_url:
        env["QUICKTURE_DATABASE_URL"] = database_url
    subprocess.run([EXE, "migrate"], env=env, check=True, capture_output=True)
    rt = Runtime.open(Settings.from_env(env))
    with rt.db.write() as s:
        org = orgs.create_org(s, "Bench Post", ["bench.test"], actor="bench")
        conn = connections.create_connection(
            s,
            rt.box,
            org_id=org.id,
            issuer=okta_url,
            client_id="0oa-bench",
            client_secret="bench-secret",
            actor="bench",
        )
        connections.set_setup_state(s, conn.id, "complete", actor="bench")
        token = scim_tokens.create_token(s, conn.id, actor="bench").token
    proc = subprocess.Popen(
        [EXE, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(verify=TLS) as c:
            while True:
                try:
                    if c.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the backend did not start")
                time.sleep(0.1)
        yield base, rt, token
    finally:
        proc.terminate()
        proc.wait(10)
        rt.close()


def provision(base: str, scim_token: str, email: str) -> None:
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "name": {"givenName": "Bench", "familyName": "User"},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "active": True,
    }
    r = httpx.post(
        base + "/scim/v2/Users",
        json=body,
        verify=TLS,
        headers={"Authorization": "Bearer " + scim_token, "Content-Type": "application/scim+json"},
    )
    r.raise_for_status()


# -- one sign-in ----------------------------------------------------------------------------------


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def sign_in(base: str, email: str, mock: TimedWsgi) -> dict[str, float]:
    """One full sign-in; returns backend seconds per step (Okta's time subtracted)."""
    steps: dict[str, float] = defaultdict(float)
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    with httpx.Client(verify=TLS, timeout=30, headers={"X-Forwarded-For": address}) as browser:

        def ours(step: str, method: str, url: str, **kw: Any) -> httpx.Response:
            okta_before = mock.total
            t0 = time.perf_counter()
            r = browser.request(method, url, **kw)
            steps[step] += time.perf_counter() - t0 - (mock.total - okta_before)
            return r

        authorize = (
            base
            + "/oauth/authorize?"
            + urlencode(
                {
                    "response_type": "code",
                    "client_id": PANEL,
                    "redirect_uri": REDIRECT,
                    "scope": SCOPE,
                    "state": state,
                    "nonce": secrets.token_urlsafe(16),
                    "code_challenge": s256(verifier),
                    "code_challenge_method": "S256",
                }
            )
        )
        r = ours("authorize (to /login)", "GET", authorize)
        page = ours("login page", "GET", urljoin(base, r.headers["location"]))
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        nxt = re.search(r'name="next" value="([^"]*)"', page.text)
        assert csrf and nxt
        to_okta = ours(
            "email form (to Okta)",
            "POST",
            base + "/login",
            data={
                "email": email,
                "csrf_token": csrf.group(1),
                "next": nxt.group(1).replace("&amp;", "&"),
            },
        )
        okta_url = to_okta.headers["location"]
        browser.get(okta_url)
        back = browser.post(okta_url, data={"sub": email})  # the user at Okta: not ours
        done = ours("callback (code exchange, ID token, session)", "GET", back.headers["location"])
        r = ours("authorize (code)", "GET", urljoin(base, done.headers["location"]))
        code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
        tok = ours(
            "token",
            "POST",
            base + "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": PANEL,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
        )
        ours(
            "/api/v1/me",
            "GET",
            base + "/api/v1/me",
            headers={"Authorization": "Bearer " + tok.json()["access_token"]},
        )
        assert tok.status_code == 200
    return dict(steps)


# -- token endpoint throughput --------------------------------------------------------------------


def refresh_chain(base: str, refresh_token: str, n: int) -> list[float]:
    times = []
    with httpx.Client(verify=TLS, timeout=30) as c:
        for _ in range(n):
            t0 = time.perf_counter()
            r = c.post(
                base + "/oauth/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": PANEL,
                },
            )
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
            refresh_token = r.json()["refresh_token"]
    return times


def mint_codes(rt: Runtime, user_id: str, n: int) -> list[tuple[str, str]]:
    out = []
    with rt.db.write() as s:
        for _ in range(n):
            code, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
            now = utcnow()
            s.add(
                OAuthCode(
                    code_hash=secret_hash(code),
                    client_id=PANEL,
                    user_id=user_id,
                    redirect_uri=REDIRECT,
                    scope=SCOPE,
                    nonce=None,
                    code_challenge=s256(verifier),
                    code_challenge_method="S256",
                    auth_time=now,
                    created_at=now,
                    expires_at=now + timedelta(hours=1),
                )
            )
            out.append((code, verifier))
    return out


def exchange_codes(base: str, codes: list[tuple[str, str]]) -> list[float]:
    times = []
    with httpx.Client(verify=TLS, timeout=30) as c:
        for code, verifier in codes:
            t0 = time.perf_counter()
            r = c.post(
                base + "/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "client_id": PANEL,
                    "redirect_uri": REDIRECT,
                    "code_verifier": verifier,
                },
            )
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
    return times


def throughput(label: str, work: Callable[[int], list[float]], clients: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(work, range(clients)))
    wall = time.perf_counter() - t0
    lat = sorted(x for r in results for x in r)
    return {
        "what": label,
        "clients": clients,
        "requests": len(lat),
        "per_second": round(len(lat) / wall, 1),
        "p50_ms": ms(pct(lat, 50)),
        "p95_ms": ms(pct(lat, 95)),
    }


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sign-ins", type=int, default=40)
    ap.add_argument("--refreshes", type=int, default=400, help="per concurrency level")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--database-url", help="default: SQLite in a temporary directory")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    report: dict[str, Any] = {"database": "postgresql" if args.database_url else "sqlite"}
    with okta() as (okta_url, mock), backend(okta_url, args.database_url) as (base, rt, scim):
        per_step: dict[str, list[float]] = defaultdict(list)
        totals: list[float] = []
        for i in range(args.sign_ins + 1):
            email = f"bench{i}@bench.test"
            provision(base, scim, email)
            steps = sign_in(base, email, mock)
            if i == 0:
                continue  # warm-up: first key, discovery, connection pools
            for k, v in steps.items():
                per_step[k].append(v)
            totals.append(sum(steps.values()))
        report["sign_in_backend_ms"] = {
            "p50": ms(statistics.median(totals)),
            "p95": ms(pct(totals, 95)),
            "n": len(totals),
        }
        report["sign_in_steps_p50_ms"] = {k: ms(statistics.median(v)) for k, v in per_step.items()}

        # a signed-in user for the token endpoint runs
        email = "bench-token@bench.test"
        provision(base, scim, email)
        with rt.db.read() as s:
            import sqlalchemy as sa

            from backend.store.models import ScimUser

            user_id = s.scalar(sa.select(ScimUser.id).where(ScimUser.user_name_norm == email))
        runs = []
        for clients in sorted({1, args.concurrency}):
            n = max(1, args.refreshes // clients)
            seeds = []
            for code, verifier in mint_codes(rt, user_id, clients):
                r = httpx.post(
                    base + "/oauth/token",
                    verify=TLS,
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "client_id": PANEL,
                        "redirect_uri": REDIRECT,
                        "code_verifier": verifier,
                    },
                )
                seeds.append(r.json()["refresh_token"])
            runs.append(
                throughput(
                    "refresh_token (rotating)",
                    lambda i, n=n, seeds=seeds: refresh_chain(base, seeds[i], n),
                    clients,
                )
            )
            batches = [mint_codes(rt, user_id, n) for _ in range(clients)]
            runs.append(
                throughput(
                    "authorization_code (PKCE, ID token)",
                    lambda i, b=batches: exchange_codes(base, b[i]),
                    clients,
                )
            )
        report["token_endpoint"] = runs

    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"database: {report['database']}")
    s = report["sign_in_backend_ms"]
    print(f"backend share of a full sign-in: p50 {s['p50']} ms, p95 {s['p95']} ms (n={s['n']})")
    for k, v in report["sign_in_steps_p50_ms"].items():
        print(f"  {k:<48} {v:>7} ms")
    print("token endpoint:")
    for r in report["token_endpoint"]:
        print(
            f"  {r['what']:<38} clients={r['clients']:<3} {r['per_second']:>7}/s  "
            f"p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms"
        )


if __name__ == "__main__":
    main()

"""Shared pieces of the Dashboard's browser tests (``tests/e2e/test_dashboard_*.py``): the real
backend on a loopback socket, Debian's Chromium through Playwright, seeding helpers, and
screenshots under ``test-output/screenshots/``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from backend.app import create_app
from backend.domain import admins, connections, orgs
from backend.runtime import Runtime
from backend.store.models import ScimCounter, ScimUser
from backend.web import sessions
from tests.conftest import make_settings
from tests.helpers.requirements import missing
from tests.helpers.servers import serve_asgi

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-output" / "screenshots"
ADMIN_PASSWORD = "correct horse battery staple"


@dataclass
class Server:
    url: str
    rt: Runtime


_shared: dict[str, Any] = {}


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Any:
    """One Chromium for the whole test session (each test module aliases this fixture)."""
    if "browser" not in _shared:
        if not CHROMIUM.exists():
            missing("Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _shared["playwright"] = playwright
        _shared["browser"] = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )

        def stop() -> None:
            _shared.pop("browser").close()
            _shared.pop("playwright").stop()

        request.config.add_cleanup(stop)
    return _shared["browser"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    made: list[Runtime] = []

    def make(base_url: str) -> object:
        rt = Runtime.open(make_settings(tmp_path / "data", base_url=base_url))
        rt.db.migrate()
        made.append(rt)
        return create_app(rt)

    with serve_asgi(make) as url:
        yield Server(url, made[0])
    made[0].close()


@pytest.fixture
def context(browser, server: Server) -> Iterator[object]:
    ctx = browser.new_context(base_url=server.url, viewport={"width": 1200, "height": 900})
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


@contextmanager
def okta_mock(*, require_client_registration: bool = False) -> Iterator[str]:
    """``oidc-provider-mock`` on loopback as Okta's OpenID Provider; yields its issuer."""
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(require_client_registration=require_client_registration) as srv:
        yield f"http://127.0.0.1:{srv.server_port}"


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def make_org(rt: Runtime, name: str = "Acme Post", domains: tuple[str, ...] = ()) -> str:
    with rt.db.write() as s:
        return orgs.create_org(s, name, list(domains), actor="test").id


def make_admin(rt: Runtime, org_id: str, email: str = "it@acme.test") -> str:
    with rt.db.write() as s:
        admins.create_admin(s, org_id=org_id, email=email, password=ADMIN_PASSWORD, actor="test")
    return email


def make_connection(
    rt: Runtime,
    org_id: str,
    *,
    issuer: str,
    client_id: str = "0oa-test",
    secret: str = "s3cret",
    state: str = "complete",
) -> str:
    with rt.db.write() as s:
        conn = connections.create_connection(
            s,
            rt.box,
            org_id=org_id,
            issuer=issuer,
            client_id=client_id,
            client_secret=secret,
            actor="test",
        )
        connections.set_setup_state(s, conn.id, state, actor="test")
        return conn.id


def make_user(
    rt: Runtime, org_id: str, connection_id: str, email: str, name: str, *, active: bool = True
) -> str:
    """A provisioned user, inserted as the SCIM server would store it."""
    with rt.db.write() as s:
        counter = s.get(ScimCounter, connection_id)
        if counter is None:
            counter = ScimCounter(
                connection_id=connection_id, users=0, groups=0, user_seq=0, group_seq=0
            )
            s.add(counter)
            s.flush()
        counter.user_seq += 1
        counter.users += 1
        given, _, family = name.partition(" ")
        user = ScimUser(
            connection_id=connection_id,
            org_id=org_id,
            seq=counter.user_seq,
            user_name=email,
            user_name_norm=email.lower(),
            email=email,
            email_norm=email.lower(),
            emails=[{"value": email, "primary": True}],
            given_name=given,
            family_name=family,
            display_name=name,
            active=active,
        )
        s.add(user)
        s.flush()
        return user.id


def sign_in_admin(page, email: str, password: str = ADMIN_PASSWORD) -> None:
    page.goto("/admin/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")


def sign_in_user(context, server: Server, org_id: str, user_id: str) -> None:
    """An SSO user's browser session, created directly (the SSO round trip is the sign-in
    engineer's and has its own tests)."""
    with server.rt.db.write() as s:
        value, _ = sessions.start(s, org_id=org_id, user_id=user_id)
    context.add_cookies([{"name": sessions.COOKIE, "value": value, "url": server.url}])


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count(rt: Runtime, query: sa.Select) -> int:
    with rt.db.read() as s:
        return int(s.scalar(query) or 0)

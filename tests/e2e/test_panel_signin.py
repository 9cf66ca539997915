"""End to end: the panel's real sign-in against the real backend, with Okta played by
``oidc-provider-mock`` and the editor provisioned over SCIM.

The "system browser" is injected with ``QDesktopServices.setUrlHandler``: when the panel opens
the sign-in link, a thread follows the redirects like a browser, types the work email on the
backend's login page, submits the provider's sign-in form, and finally hits the panel's
loopback callback. Then: a restart restores the session from the keychain, SCIM deactivation
signs the panel out with the right message, and Sign out revokes the refresh token.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import keyring
import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from backend.app import create_app
from backend.domain import connections, orgs, scim_tokens
from backend.runtime import Runtime
from panel.app import build_controller
from panel.auth.store import SERVICE, KeyringTokenStore
from panel.controller import PanelController
from panel.settings import PanelSettings
from panel.ui import MainWindow, State
from tests.conftest import make_settings
from tests.helpers.servers import serve_asgi
from tests.panel.keyrings import MemoryKeyring, using_memory_keyring

TIMEOUT = 20_000
DOMAIN = "acme-post.test"
OKTA_CLIENT_ID = "0oa-panel-e2e"
OKTA_CLIENT_SECRET = "okta-secret-for-the-panel-e2e"
SCIM_JSON = "application/scim+json"

pytestmark = [
    # Qt's offscreen platform cannot propagate size hints; other Qt warnings still fail
    pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)"),
]


# -- the world: Okta, the backend, SCIM --------------------------------------------------------


@dataclass
class World:
    rt: Runtime
    backend_url: str
    okta_url: str
    connection_id: str
    scim_token: str

    def scim(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.backend_url + "/scim/v2",
            headers={"Authorization": f"Bearer {self.scim_token}", "Content-Type": SCIM_JSON},
            timeout=10,
            trust_env=False,
        )

    def provision(self) -> Editor:
        """Okta's SCIM client creates the user; Okta itself knows them under a ``sub``."""
        email = f"ada.{secrets.token_hex(3)}@{DOMAIN}"
        sub = "00u" + secrets.token_hex(6)
        with self.scim() as scim:
            r = scim.post("/Users", json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": email, "externalId": sub,
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                "displayName": "Ada Lovelace", "locale": "en-GB",
                "emails": [{"primary": True, "value": email, "type": "work"}],
                "active": True,
            })  # fmt: skip
        assert r.status_code == 201, r.text
        claims = {
            "email": email, "email_verified": True, "name": "Ada Lovelace",
            "given_name": "Ada", "family_name": "Lovelace", "preferred_username": email,
        }  # fmt: skip
        put = httpx.put(f"{self.okta_url}/users/{sub}", json=claims, trust_env=False)
        assert put.status_code == 204, put.text
        return Editor(email=email, sub=sub, scim_id=r.json()["id"])

    def deactivate(self, editor: Editor) -> None:
        """What Okta sends when IT un-assigns the user."""
        with self.scim() as scim:
            r = scim.patch(f"/Users/{editor.scim_id}", json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": False}}],
            })  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["active"] is False


@dataclass
class Editor:
    email: str
    sub: str
    scim_id: str


@pytest.fixture(scope="module")
def okta_url() -> Iterator[str]:
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, okta_url: str) -> Iterator[World]:
    holder: dict[str, Runtime] = {}
    data_dir = tmp_path_factory.mktemp("panel-e2e") / "data"

    def make(base_url: str) -> Any:
        rt = Runtime.open(make_settings(data_dir, base_url=base_url))
        rt.db.migrate()
        holder["rt"] = rt
        return create_app(rt)

    with serve_asgi(make) as url:
        rt = holder["rt"]
        with rt.db.write() as s:
            org = orgs.create_org(s, "Acme Post", [DOMAIN], actor="e2e")
            conn = connections.create_connection(
                s, rt.box, org_id=org.id, issuer=okta_url, client_id=OKTA_CLIENT_ID,
                client_secret=OKTA_CLIENT_SECRET, actor="e2e",
            )  # fmt: skip
            token = scim_tokens.create_token(s, conn.id, actor="e2e").token
            connections.set_setup_state(s, conn.id, "complete", actor="e2e")
        try:
            yield World(rt, url, okta_url, conn.id, token)
        finally:
            rt.close()


# -- the system browser ------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_NEXT = re.compile(r'name="next" value="([^"]*)"')


@dataclass
class SystemBrowser:
    """Follows what the panel opens the way a browser would, on its own thread."""

    world: World
    editor: Editor | None = None
    pages: list[httpx.Response] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def open(self, url: str) -> None:
        if "/oauth/authorize" not in url:
            return  # Open Dashboard, downloads: nothing to drive
        thread = threading.Thread(target=self._drive, args=(url,), daemon=True)
        self.threads.append(thread)
        thread.start()

    def join(self) -> None:
        for t in self.threads:
            t.join(20)
        if self.errors:
            raise self.errors[0]

    @property
    def last_page(self) -> httpx.Response:
        return self.pages[-1]

    def _drive(self, url: str) -> None:
        try:
            with httpx.Client(timeout=10, trust_env=False) as client:
                self._walk(client, client.get(url))
        except BaseException as exc:  # reported by join()
            self.errors.append(exc)

    def _walk(self, client: httpx.Client, response: httpx.Response) -> None:
        assert self.editor is not None
        for _ in range(20):
            if response.is_redirect:
                response = client.get(urljoin(str(response.url), response.headers["location"]))
                continue
            self.pages.append(response)
            url = str(response.url)
            if url.startswith(self.world.okta_url) and response.request.method == "GET":
                # the provider's sign-in form: sign in as the editor's Okta user
                response = client.post(url, data={"sub": self.editor.sub})
                continue
            match = _CSRF.search(response.text)
            if url.startswith(self.world.backend_url) and match and 'name="email"' in response.text:
                nxt = _NEXT.search(response.text)
                response = client.post(self.world.backend_url + "/login", data={
                    "email": self.editor.email, "csrf_token": match.group(1),
                    "next": (nxt.group(1) if nxt else "").replace("&amp;", "&"),
                })  # fmt: skip
                continue
            return  # a page with nothing to do: the loopback's answer, or an error page
        raise AssertionError("the browser went round in circles")


class _UrlHandler(QObject):
    def __init__(self, browser: SystemBrowser) -> None:
        super().__init__()
        self.browser = browser

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.browser.open(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))


@pytest.fixture
def browser(world: World) -> Iterator[SystemBrowser]:
    b = SystemBrowser(world)
    handler = _UrlHandler(b)
    QDesktopServices.setUrlHandler("http", handler, "open")
    yield b
    QDesktopServices.unsetUrlHandler("http")
    for t in b.threads:
        t.join(20)


# -- the panel ---------------------------------------------------------------------------------


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with using_memory_keyring() as backend:
        yield backend


@pytest.fixture
def make_panel(qtbot, world: World, memory_keyring, tmp_path: Path):
    made: list[tuple[MainWindow, PanelController]] = []

    def make() -> tuple[MainWindow, PanelController]:
        settings = PanelSettings.load(world.backend_url, {}, config_dir=tmp_path / "config",
                                      log_dir=tmp_path / "logs")  # fmt: skip
        window = MainWindow()
        qtbot.addWidget(window)
        controller = build_controller(window, settings, KeyringTokenStore(keyring.get_keyring()),
                                      None)  # fmt: skip
        window.show()
        made.append((window, controller))
        return window, controller

    yield make
    for _window, controller in made:
        controller.shutdown()


def sign_in(qtbot, make_panel, browser: SystemBrowser, editor: Editor):
    browser.editor = editor
    window, controller = make_panel()
    with qtbot.wait_signal(controller.signed_out, timeout=TIMEOUT):
        controller.start()  # nothing in the keychain yet
    with qtbot.wait_signal(controller.signed_in, timeout=TIMEOUT):
        window.sign_in_requested.emit()
    browser.join()
    assert "You may close this window." in browser.last_page.text
    return window, controller


def stored_refresh_token(memory_keyring, world: World) -> str:
    return json.loads(memory_keyring.entries[(SERVICE, world.backend_url)])["refresh_token"]


def test_sign_in_restart_and_sign_out(qtbot, make_panel, browser, world, memory_keyring):
    editor = world.provision()
    window, controller = sign_in(qtbot, make_panel, browser, editor)
    profile = window.signed_in.profile
    assert (profile.name, profile.email, profile.organization) == (
        "Ada Lovelace", editor.email, "Acme Post")  # fmt: skip
    assert profile.dashboard_url.startswith(world.backend_url)
    first = stored_refresh_token(memory_keyring, world)

    # next morning: a new panel process restores the session from the keychain, no browser
    controller.shutdown()
    window.close()
    browser.threads.clear()
    window2, controller2 = make_panel()
    with qtbot.wait_signal(controller2.signed_in, timeout=TIMEOUT):
        controller2.start()
    assert window2.state is State.SIGNED_IN and not browser.threads
    rotated = stored_refresh_token(memory_keyring, world)
    assert rotated != first  # the refresh token rotated and the keychain has the new one

    # sign out revokes: the refresh token no longer works at the backend
    with qtbot.wait_signal(controller2.signed_out, timeout=TIMEOUT):
        window2.sign_out_requested.emit()
    assert window2.notice.notice.title == "Signed out"
    assert (SERVICE, world.backend_url) not in memory_keyring.entries
    form = {"grant_type": "refresh_token", "refresh_token": rotated, "client_id": "quickture-panel"}
    refused = httpx.post(world.backend_url + "/oauth/token", data=form, trust_env=False)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_scim_deactivation_signs_the_panel_out_with_the_reason(
    qtbot, make_panel, browser, world, memory_keyring
):
    editor = world.provision()
    window, controller = sign_in(qtbot, make_panel, browser, editor)
    world.deactivate(editor)
    with qtbot.wait_signal(controller.signed_out, timeout=TIMEOUT):
        controller.refresh_profile()  # what the panel's periodic check runs
    notice = window.notice.notice
    assert window.state is State.SIGNED_OUT
    assert notice.title == "You've been signed out"
    assert "deactivated" in notice.body
    assert "assign you to Quickture in Okta" in notice.next_step
    assert (SERVICE, world.backend_url) not in memory_keyring.entries

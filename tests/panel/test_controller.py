"""The panel's behaviour against the fake backend: every transition, driven by signals."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QThreadPool, QTimer

from panel.auth.store import SERVICE, MemoryTokenStore
from panel.controller import PanelController
from panel.tasks import TaskRunner
from panel.ui import MainWindow, State
from tests.panel.fakes import BACKEND, release

TIMEOUT = 10_000


@dataclass
class Panel:
    window: MainWindow
    controller: PanelController
    opened: list[str] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)
    browsers: list[threading.Thread] = field(default_factory=list)


@pytest.fixture
def make_panel(qtbot, make_services, fake):
    made: list[Panel] = []

    def make(*, browser: str | None = "ok", **service_kwargs) -> Panel:
        window = MainWindow()
        qtbot.addWidget(window)
        holder: dict = {}

        def open_url(url: str) -> bool:
            panel = holder["panel"]
            panel.opened.append(url)
            if "/oauth/authorize" in url and browser is not None:
                error = None if browser == "ok" else browser
                t = threading.Thread(target=fake.browser, args=(url,), kwargs={"error": error})
                panel.browsers.append(t)
                t.start()
            return True

        controller = PanelController(
            window,
            lambda url: make_services(url, **service_kwargs),
            BACKEND,
            runner=TaskRunner(QThreadPool()),
            open_url=open_url,
            installed=lambda: {"avid": "2.3.0"},
            platform="macos",
            save_backend=lambda url: holder["panel"].saved.append(url),
        )
        panel = Panel(window, controller)
        holder["panel"] = panel
        made.append(panel)
        window.show()
        return panel

    yield make
    for panel in made:
        panel.controller.shutdown()
        for t in panel.browsers:
            t.join(5)


def signed_in_panel(qtbot, make_panel, **kwargs) -> Panel:
    panel = make_panel(**kwargs)
    with qtbot.wait_signal(panel.controller.signed_in, timeout=TIMEOUT):
        panel.controller.sign_in()
    return panel


def test_start_with_nothing_stored_is_signed_out(qtbot, make_panel):
    panel = make_panel()
    with qtbot.wait_signal(panel.controller.signed_out, timeout=TIMEOUT):
        panel.controller.start()
    assert panel.window.state is State.SIGNED_OUT
    assert panel.window.notice.notice is None


def test_sign_in_through_the_browser(qtbot, make_panel, fake):
    fake.releases = [release("avid", "2.4.1"), release("premiere", "1.8.0")]
    panel = make_panel()
    with qtbot.wait_signal(panel.controller.signed_in, timeout=TIMEOUT):
        panel.window.sign_in_requested.emit()
    assert panel.window.state is State.SIGNED_IN
    assert panel.opened and panel.opened[0].startswith(BACKEND + "/oauth/authorize?")
    profile = panel.window.signed_in.profile
    assert (profile.name, profile.email, profile.organization) == (
        "Ada Lovelace", "ada@acme.test", "Acme Post")  # fmt: skip
    avid, premiere = profile.integrations
    assert avid.out_of_date and avid.installed == "2.3.0" and avid.latest == "2.4.1"
    assert premiere.status == "Not installed"


def test_restart_restores_the_session_from_the_keychain(qtbot, make_panel, memory_keyring):
    signed_in_panel(qtbot, make_panel)
    assert (SERVICE, BACKEND) in memory_keyring.entries
    again = make_panel(browser=None)
    with qtbot.wait_signal(again.controller.signed_in, timeout=TIMEOUT):
        again.controller.start()
    assert again.window.state is State.SIGNED_IN and not again.opened


def test_gui_thread_keeps_turning_while_the_exchange_runs(qtbot, make_panel, fake):
    fake.gate = threading.Event()
    panel = make_panel()
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    with qtbot.wait_signal(panel.controller.signed_in, timeout=TIMEOUT):
        panel.controller.sign_in()
        # the token endpoint is blocked: the GUI thread must still run its event loop
        qtbot.wait_until(lambda: "POST /oauth/token" in fake.calls, timeout=TIMEOUT)
        before = len(ticks)
        qtbot.wait_until(lambda: len(ticks) >= before + 5, timeout=TIMEOUT)
        assert panel.window.state is State.SIGNING_IN
        fake.gate.set()
    timer.stop()


def test_cancel_returns_to_signed_out_quietly(qtbot, make_panel):
    panel = make_panel(browser=None)
    with qtbot.wait_signal(panel.controller.sign_in_url_ready, timeout=TIMEOUT):
        panel.controller.sign_in()
    assert panel.window.signing_in.copy.isEnabled()
    with qtbot.wait_signal(panel.controller.signed_out, timeout=TIMEOUT):
        panel.window.cancel_requested.emit()
    assert panel.window.state is State.SIGNED_OUT
    assert panel.window.notice.notice is None


def test_cancel_before_the_link_is_ready_still_cancels(qtbot, make_panel):
    panel = make_panel(browser=None)
    with qtbot.wait_signal(panel.controller.signed_out, timeout=TIMEOUT):
        panel.controller.sign_in()
        panel.controller.cancel_sign_in()
    assert panel.window.state is State.SIGNED_OUT


def test_refused_sign_in_says_what_to_check(qtbot, make_panel):
    panel = make_panel(browser="access_denied")
    with qtbot.wait_signal(panel.controller.signed_out, timeout=TIMEOUT):
        panel.controller.sign_in()
    notice = panel.window.notice.notice
    assert notice.title == "Sign-in was refused"
    assert "assigned to Quickture in Okta" in notice.next_step


def test_timeout_says_so(qtbot, make_panel):
    panel = make_panel(browser=None, receiver_timeout=0.2)
    with qtbot.wait_signal(panel.controller.signed_out, timeout=TIMEOUT):
        panel.controller.sign_in()
    assert panel.window.notice.notice.title == "Sign-in timed out"


def test_deactivation_signs_out_with_the_reason(qtbot, make_panel, fake, memory_keyring):
    panel = signed_in_panel(qtbot, make_panel)
    fake.user_state = "deactivated"
    with qtbot.wait_signal(panel.controller.signed_out, timeout=TIMEOUT):
        panel.controller.refresh_profile()
    notice = panel.window.notice.notice
    assert notice.title == "You've been signed out"
    assert "deactivated" in notice.body
    assert "assign you to Quickture in Okta" in notice.next_step
    assert not memory_keyring.entries


def test_removed_account_signs_out_with_its_reason(qtbot, make_panel, fake):
    panel = signed_in_panel(qtbot, make_panel)
    fake.user_state = "not_provisioned"
    fake.expire_access_tokens()  # the refresh is refused too
    with qtbot.wait_signal(panel.controller.signed_out, timeout=TIMEOUT):
        panel.controller.refresh_profile()
    assert "re-assign you" in panel.window.notice.notice.next_step


def test_sign_out_revokes(qtbot, make_panel, fake, memory_keyring):
    panel = signed_in_panel(qtbot, make_panel)
    with qtbot.wait_signal(panel.controller.signed_out, timeout=TIMEOUT):
        panel.window.sign_out_requested.emit()
    assert "POST /oauth/revoke" in fake.calls and not fake.live_families()
    assert panel.window.notice.notice.title == "Signed out"
    assert not memory_keyring.entries


def test_sign_out_offline_forgets_here_and_says_so(qtbot, make_panel, fake, memory_keyring):
    panel = signed_in_panel(qtbot, make_panel)
    fake.down = True
    with qtbot.wait_signal(panel.controller.signed_out, timeout=TIMEOUT):
        panel.controller.sign_out()
    assert panel.window.notice.notice.title == "Signed out on this computer only"
    assert not memory_keyring.entries


def test_offline_at_start_keeps_the_session_and_offers_retry(qtbot, make_panel, fake,
                                                             memory_keyring):  # fmt: skip
    signed_in_panel(qtbot, make_panel)
    fake.down = True
    panel = make_panel(browser=None)
    panel.controller.start()
    qtbot.wait_until(lambda: panel.window.notice.notice is not None, timeout=TIMEOUT)
    assert panel.window.notice.notice.title == "Can't reach Quickture"
    assert memory_keyring.entries
    fake.down = False
    with qtbot.wait_signal(panel.controller.signed_in, timeout=TIMEOUT):
        panel.window.notice.action.click()  # "Try again"


def test_no_keychain_says_the_sign_in_is_for_this_run(qtbot, make_panel):
    store = MemoryTokenStore()
    panel = make_panel(store=store)
    panel.controller.services.auth.keychain_problem = "no OS keychain is available"
    with qtbot.wait_signal(panel.controller.signed_in, timeout=TIMEOUT):
        panel.controller.sign_in()
    notice = panel.window.notice.notice
    assert notice.title == "Your sign-in won't be remembered"
    assert store.load(BACKEND) is not None


def test_change_backend_validates_then_saves(qtbot, make_panel):
    panel = make_panel()
    panel.window.open_settings()
    panel.window.backend_change_requested.emit("http://quickture.example.com")
    assert "https://" in panel.window.settings.error.text()
    assert panel.window.state is State.SETTINGS and not panel.saved
    with qtbot.wait_signal(panel.controller.backend_changed, timeout=TIMEOUT):
        panel.window.backend_change_requested.emit("http://127.0.0.1:9/")
    assert panel.saved == ["http://127.0.0.1:9"]
    assert panel.controller.backend_url == "http://127.0.0.1:9"
    qtbot.wait_until(lambda: panel.window.state is State.SIGNED_OUT, timeout=TIMEOUT)
    with qtbot.wait_signal(panel.controller.signed_out, timeout=TIMEOUT):
        panel.controller.sign_in()  # the fake answers as the issuer of another address
    assert panel.window.notice.notice.title == "This isn't a Quickture server"


def test_quitting_mid_sign_in_cancels_it_and_frees_the_port(qtbot, make_panel):
    import socket
    import time
    from urllib.parse import parse_qs, urlsplit

    panel = make_panel(browser=None)  # the receiver would otherwise wait 10 s (tests' timeout)
    with qtbot.wait_signal(panel.controller.sign_in_url_ready, timeout=TIMEOUT) as ready:
        panel.controller.sign_in()
    redirect = parse_qs(urlsplit(ready.args[0]).query)["redirect_uri"][0]
    started = time.monotonic()
    panel.controller.shutdown()
    assert time.monotonic() - started < 5
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", urlsplit(redirect).port))

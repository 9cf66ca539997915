"""Every state of the window and the editor's transitions, driven by signals."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from panel.screenshots import SAMPLE_PROFILE
from panel.ui import Action, Level, MainWindow, Notice, State


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show_signed_out("https://q.example.com")
    return w


def click(qtbot, button):
    assert button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_signed_out_shows_the_backend_and_asks_to_sign_in(qtbot, window):
    window.show()
    assert window.state is State.SIGNED_OUT
    assert "https://q.example.com" in window.signed_out.backend.text()
    with qtbot.wait_signal(window.sign_in_requested):
        click(qtbot, window.signed_out.sign_in)


def test_signing_in_offers_cancel_and_copy_link(qtbot, window):
    window.show()
    window.show_signing_in()
    assert window.state is State.SIGNING_IN
    assert not window.signing_in.copy.isEnabled()
    window.set_sign_in_url("https://q.example.com/oauth/authorize?x=1")
    with qtbot.wait_signal(window.signing_in.link_copied):
        click(qtbot, window.signing_in.copy)
    assert QGuiApplication.clipboard().text() == "https://q.example.com/oauth/authorize?x=1"
    with qtbot.wait_signal(window.cancel_requested):
        click(qtbot, window.signing_in.cancel)


def test_signed_in_shows_who_and_the_integrations(qtbot, window):
    window.show()
    window.show_signed_in(SAMPLE_PROFILE)
    assert window.state is State.SIGNED_IN
    view = window.signed_in
    assert view.name.text() == "Ada Lovelace" and view.avatar.text() == "AL"
    assert view.email.text() == "ada@acme-post.com" and view.organization.text() == "Acme Post"
    texts = [w.text() for w in view.integrations.findChildren(type(view.name))]
    assert "Installed 2.3.0, update available" in texts and "Up to date" in texts
    assert "● Signed in" in window.status.text()
    with qtbot.wait_signal(window.open_url_requested) as opened:
        click(qtbot, view.open_dashboard)
    assert opened.args == [SAMPLE_PROFILE.dashboard_url]
    with qtbot.wait_signal(window.sign_out_requested):
        click(qtbot, view.sign_out)


def test_download_opens_the_release(qtbot, window):
    window.show()
    window.show_signed_in(SAMPLE_PROFILE)
    pushbuttons = window.signed_in.integrations.findChildren(type(window.signed_in.sign_out))
    buttons = [b for b in pushbuttons if b.text() == "Download"]
    with qtbot.wait_signal(window.open_url_requested) as opened:
        buttons[0].click()
    assert opened.args == [SAMPLE_PROFILE.integrations[0].download_url]


def test_notice_and_its_action(qtbot, window):
    window.show()
    notice = Notice("Sign-in was refused", "body", "next", Level.ERROR, Action.SIGN_IN)
    window.show_notice(notice)
    assert window.notice.isVisible() and window.notice.title.text() == "Sign-in was refused"
    assert window.notice.property("level") == "error"
    with qtbot.wait_signal(window.sign_in_requested):
        click(qtbot, window.notice.action)
    assert not window.notice.isVisible()


def test_retry_and_dismiss(qtbot, window):
    window.show()
    window.show_notice(Notice("Can't reach Quickture", "b", action=Action.RETRY))
    with qtbot.wait_signal(window.retry_requested):
        click(qtbot, window.notice.action)
    window.show_notice(Notice("x", "y"))
    assert not window.notice.action.isVisible()
    with qtbot.wait_signal(window.notice.dismissed):
        click(qtbot, window.notice.close_button)


def test_settings_round_trip(qtbot, window):
    window.show()
    click(qtbot, window.settings_button)
    assert window.state is State.SETTINGS
    assert window.settings.field.text() == "https://q.example.com"
    window.settings.field.setText("bad url")
    with qtbot.wait_signal(window.backend_change_requested) as asked:
        click(qtbot, window.settings.save)
    assert asked.args == ["bad url"]
    window.show_settings_error("That is not a web address.")
    assert window.settings.error.isVisible()
    with qtbot.wait_signal(window.state_changed) as changed:
        click(qtbot, window.settings.cancel)
    assert changed.args == [State.SIGNED_OUT]


def test_a_state_reported_while_in_settings_waits_until_they_leave(qtbot, window):
    window.show()
    window.open_settings()
    window.show_signed_in(SAMPLE_PROFILE)
    assert window.state is State.SETTINGS
    window.close_settings()
    assert window.state is State.SIGNED_IN


def test_settings_is_not_offered_mid_sign_in(qtbot, window):
    window.show_signing_in()
    assert not window.settings_button.isEnabled()
    window.show_busy("Signing out…")
    assert window.busy.message.text() == "Signing out…"
    assert not window.settings_button.isEnabled()

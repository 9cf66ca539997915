"""The panel's one window: a header, a notice banner, and one view per state.

It knows nothing of HTTP or the keychain. It emits what the editor asks for
(``sign_in_requested``...) and has a ``show_*`` slot for every state the wiring reports.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QToolButton, QVBoxLayout, QWidget

from panel.ui.busy_view import BusyView
from panel.ui.notice_banner import NoticeBanner
from panel.ui.settings_view import SettingsView
from panel.ui.signed_in_view import SignedInView
from panel.ui.signed_out_view import SignedOutView
from panel.ui.signing_in_view import SigningInView
from panel.ui.theme import style_sheet
from panel.ui.viewmodels import Action, Notice, Profile
from panel.ui.widgets import label

__all__ = ["MainWindow", "State"]


class State(Enum):
    BUSY = "busy"
    SIGNED_OUT = "signed_out"
    SIGNING_IN = "signing_in"
    SIGNED_IN = "signed_in"
    SETTINGS = "settings"


class MainWindow(QWidget):
    sign_in_requested = Signal()
    cancel_requested = Signal()
    sign_out_requested = Signal()
    retry_requested = Signal()
    open_url_requested = Signal(str)
    backend_change_requested = Signal(str)
    state_changed = Signal(object)  # State

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("QuicktureWindow")
        self.setWindowTitle("Quickture")
        self.setStyleSheet(style_sheet())
        self.setMinimumWidth(300)
        self.resize(340, 420)
        self._state = State.BUSY
        self._backend_url = ""
        self._return_to = State.SIGNED_OUT

        self.wordmark = label("QUICKTURE", "Wordmark")
        self.status = label("", "Status")
        self.settings_button = QToolButton()
        self.settings_button.setObjectName("Icon")
        self.settings_button.setText("⚙")
        self.settings_button.setToolTip("Settings")
        self.settings_button.clicked.connect(self.open_settings)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.wordmark)
        header.addStretch(1)
        header.addWidget(self.status)
        header.addWidget(self.settings_button)

        self.notice = NoticeBanner()
        self.notice.action_clicked.connect(self._on_notice_action)

        self.busy = BusyView()
        self.signed_out = SignedOutView()
        self.signed_out.sign_in_clicked.connect(self.sign_in_requested)
        self.signed_out.change_backend_clicked.connect(self.open_settings)
        self.signing_in = SigningInView()
        self.signing_in.cancel_clicked.connect(self.cancel_requested)
        self.signed_in = SignedInView()
        self.signed_in.open_url_requested.connect(self.open_url_requested)
        self.signed_in.sign_out_clicked.connect(self.sign_out_requested)
        self.settings = SettingsView()
        self.settings.save_requested.connect(self.backend_change_requested)
        self.settings.cancelled.connect(self._close_settings)

        self.stack = QStackedWidget()
        self._pages = {
            State.BUSY: self.busy,
            State.SIGNED_OUT: self.signed_out,
            State.SIGNING_IN: self.signing_in,
            State.SIGNED_IN: self.signed_in,
            State.SETTINGS: self.settings,
        }
        for page in self._pages.values():
            self.stack.addWidget(page)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 14)
        layout.setSpacing(12)
        layout.addLayout(header)
        layout.addWidget(self.notice)
        layout.addWidget(self.stack, 1)

    @property
    def state(self) -> State:
        return self._state

    # what the wiring reports -----------------------------------------------------------------

    def show_busy(self, message: str) -> None:
        self.busy.set_message(message)
        self._go(State.BUSY)

    def show_signed_out(self, backend_url: str) -> None:
        self._backend_url = backend_url
        self.signed_out.set_backend(backend_url)
        self._go(State.SIGNED_OUT)

    def show_signing_in(self) -> None:
        self.notice.dismiss()
        self.signing_in.reset()
        self._go(State.SIGNING_IN)

    def set_sign_in_url(self, url: str) -> None:
        self.signing_in.set_url(url)

    def show_signed_in(self, profile: Profile) -> None:
        self.signed_in.set_profile(profile)
        self._go(State.SIGNED_IN)

    def show_notice(self, notice: Notice) -> None:
        self.notice.show_notice(notice)

    def clear_notice(self) -> None:
        if self.notice.notice is not None:
            self.notice.dismiss()

    def show_settings_error(self, message: str) -> None:
        self.settings.show_error(message)

    def close_settings(self) -> None:
        self._close_settings()

    # the editor's own navigation -------------------------------------------------------------

    def open_settings(self) -> None:
        if self._state is State.SETTINGS:
            return
        self._return_to = self._state
        self.settings.edit(self._backend_url)
        self._go(State.SETTINGS)

    def _close_settings(self) -> None:
        if self._state is State.SETTINGS:
            self._go(self._return_to, leave_settings=True)

    def _on_notice_action(self, action: Action) -> None:
        if action is Action.SIGN_IN:
            self.sign_in_requested.emit()
        elif action is Action.RETRY:
            self.retry_requested.emit()
        elif action is Action.SETTINGS:
            self.open_settings()

    def _go(self, state: State, *, leave_settings: bool = False) -> None:
        if self._state is State.SETTINGS and state is not State.SETTINGS and not leave_settings:
            self._return_to = state  # the editor is busy in Settings: go there when they leave
            return
        self._state = state
        self.stack.setCurrentWidget(self._pages[state])
        self.settings_button.setEnabled(state in (State.SIGNED_OUT, State.SIGNED_IN))
        signed_in = state is State.SIGNED_IN
        self.status.setText("● Signed in" if signed_in else "")
        self.status.setProperty("state", "on" if signed_in else "off")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.state_changed.emit(state)

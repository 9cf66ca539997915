"""The panel's one window: a header, a notice banner, and one view per state.

It knows nothing of HTTP or the keychain. It emits what the editor asks for
(``sign_in_requested``...) and has a ``show_*`` slot for every state the wiring reports.

Only the header and the "Starting…" view are built before the first paint; every other view
(and the notice banner) is built, and its module imported, the first time it is needed, so
the window appears as fast as a bare one.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QToolButton, QVBoxLayout, QWidget

from panel.ui.busy_view import BusyView
from panel.ui.theme import style_sheet
from panel.ui.viewmodels import Action, Notice, Profile
from panel.ui.widgets import label

if TYPE_CHECKING:
    from panel.ui.notice_banner import NoticeBanner
    from panel.ui.settings_view import SettingsView
    from panel.ui.signed_in_view import SignedInView
    from panel.ui.signed_out_view import SignedOutView
    from panel.ui.signing_in_view import SigningInView

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

        self.wordmark = label("QUICKTURE", "Wordmark", selectable=False)
        self.status = label("", "Status", selectable=False)
        self.settings_button = QToolButton()
        self.settings_button.setObjectName("Icon")
        self.settings_button.setText("⚙")
        self.settings_button.setToolTip("Settings")
        self.settings_button.setEnabled(False)
        self.settings_button.clicked.connect(self.open_settings)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.wordmark)
        header.addStretch(1)
        header.addWidget(self.status)
        header.addWidget(self.settings_button)

        self.busy = BusyView()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.busy)
        self._pages: dict[State, QWidget] = {State.BUSY: self.busy}
        self._notice: NoticeBanner | None = None

        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(14, 12, 14, 14)
        self._layout.setSpacing(12)
        self._layout.addLayout(header)
        self._layout.addWidget(self.stack, 1)

    # the views, built on first use -----------------------------------------------------------

    @property
    def notice(self) -> NoticeBanner:
        if self._notice is None:
            from panel.ui.notice_banner import NoticeBanner

            self._notice = NoticeBanner()
            self._notice.action_clicked.connect(self._on_notice_action)
            self._layout.insertWidget(1, self._notice)
        return self._notice

    @property
    def signed_out(self) -> SignedOutView:
        return cast("SignedOutView", self._page(State.SIGNED_OUT))

    @property
    def signing_in(self) -> SigningInView:
        return cast("SigningInView", self._page(State.SIGNING_IN))

    @property
    def signed_in(self) -> SignedInView:
        return cast("SignedInView", self._page(State.SIGNED_IN))

    @property
    def settings(self) -> SettingsView:
        return cast("SettingsView", self._page(State.SETTINGS))

    def _page(self, state: State) -> QWidget:
        page = self._pages.get(state)
        if page is None:
            page = self._build(state)
            self._pages[state] = page
            self.stack.addWidget(page)
        return page

    def _build(self, state: State) -> QWidget:
        if state is State.SIGNED_OUT:
            from panel.ui.signed_out_view import SignedOutView

            signed_out = SignedOutView()
            signed_out.sign_in_clicked.connect(self.sign_in_requested)
            signed_out.change_backend_clicked.connect(self.open_settings)
            return signed_out
        if state is State.SIGNING_IN:
            from panel.ui.signing_in_view import SigningInView

            signing_in = SigningInView()
            signing_in.cancel_clicked.connect(self.cancel_requested)
            return signing_in
        if state is State.SIGNED_IN:
            from panel.ui.signed_in_view import SignedInView

            signed_in = SignedInView()
            signed_in.open_url_requested.connect(self.open_url_requested)
            signed_in.sign_out_clicked.connect(self.sign_out_requested)
            return signed_in
        assert state is State.SETTINGS
        from panel.ui.settings_view import SettingsView

        settings = SettingsView()
        settings.save_requested.connect(self.backend_change_requested)
        settings.cancelled.connect(self._close_settings)
        return settings

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
        self.clear_notice()
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
        if self._notice is not None and self._notice.notice is not None:
            self._notice.dismiss()

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
        self.stack.setCurrentWidget(self._page(state))
        self.settings_button.setEnabled(state in (State.SIGNED_OUT, State.SIGNED_IN))
        signed_in = state is State.SIGNED_IN
        self.status.setText("● Signed in" if signed_in else "")
        self.status.setProperty("state", "on" if signed_in else "off")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.state_changed.emit(state)

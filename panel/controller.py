"""The panel's behaviour: connects the window's intentions to the auth session and the API.

Every network call and the loopback wait run on the task runner's pool; results come back
to the GUI thread by queued signals. A generation number drops results that arrive after the
editor changed the backend or started over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from panel.api.errors import Offline, ServerError, SignedOut
from panel.auth.errors import (
    AuthError,
    BackendUnreachable,
    KeychainUnavailable,
    SessionEnded,
    SignInCancelled,
)
from panel.auth.session import PendingSignIn, SignOutResult
from panel.integrations import PRODUCTS
from panel.messages import keychain_notice, notice_for, signed_out_notice
from panel.services import Account, Services
from panel.settings import InvalidBackendUrl, normalise_backend_url
from panel.tasks import TaskRunner
from panel.ui.main_window import MainWindow, State
from panel.ui.viewmodels import IntegrationRow, Profile

__all__ = ["PanelController"]

log = logging.getLogger("quickture.panel")

PROFILE_REFRESH_MS = 5 * 60 * 1000


class PanelController(QObject):
    """Signals are for tests and the app: each says a transition has finished."""

    signed_in = Signal()
    signed_out = Signal()
    sign_in_url_ready = Signal(str)
    backend_changed = Signal(str)

    def __init__(
        self,
        window: MainWindow,
        services_for: Callable[[str], Services],
        backend_url: str,
        *,
        runner: TaskRunner,
        open_url: Callable[[str], bool],
        installed: Callable[[], dict[str, str]],
        platform: str | None,
        save_backend: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._services_for = services_for
        self._runner = runner
        self._open_url = open_url
        self._installed = installed
        self._platform = platform
        self._save_backend = save_backend
        self._services = services_for(backend_url)
        self._generation = 0
        # sign-ins in progress, registered by the worker itself so that Cancel, a backend
        # change and shutdown reach them even before the GUI thread has heard of them
        self._live: set[PendingSignIn] = set()
        self._live_lock = threading.Lock()
        self._cancel_wanted = False
        self._timer = QTimer(self)
        self._timer.setInterval(PROFILE_REFRESH_MS)
        self._timer.timeout.connect(self.refresh_profile)

        window.sign_in_requested.connect(self.sign_in)
        window.cancel_requested.connect(self.cancel_sign_in)
        window.sign_out_requested.connect(self.sign_out)
        window.retry_requested.connect(self.start)
        window.open_url_requested.connect(self.open_url)
        window.backend_change_requested.connect(self.change_backend)

    @property
    def services(self) -> Services:
        return self._services

    @property
    def backend_url(self) -> str:
        return self._services.backend_url

    # start: restore the session silently -----------------------------------------------------

    def start(self) -> None:
        gen = self._next_generation()
        self._window.clear_notice()
        self._window.show_busy("Signing you in…")
        services = self._services

        def work(_report: Callable[[object], None]) -> Account | None:
            if not services.auth.restore():
                return None
            return services.account(self._platform)

        def done(account: Account | None) -> None:
            if gen != self._generation:
                return
            if account is None:
                self._show_signed_out()
            else:
                self._show_account(account)

        def failed(error: BaseException) -> None:
            if gen != self._generation:
                return
            if isinstance(error, BackendUnreachable | Offline | ServerError):
                # keep the stored session: the next try may well work
                self._window.show_signed_out(self.backend_url)
                self._notice(error)
                return
            self._end_session(error)

        self._runner.run(work, done, failed)

    # sign in ---------------------------------------------------------------------------------

    def sign_in(self) -> None:
        if self._window.state is State.SIGNING_IN:
            return
        gen = self._next_generation()
        with self._live_lock:
            self._cancel_wanted = False
        self._window.show_signing_in()
        services = self._services

        def work(report: Callable[[object], None]) -> Account:
            pending = services.auth.begin_sign_in()
            with self._live_lock:
                self._live.add(pending)
                if self._cancel_wanted or gen != self._generation:
                    pending.cancel()
            try:
                report(pending)
                pending.finish()
            finally:
                with self._live_lock:
                    self._live.discard(pending)
            return services.account(self._platform)

        def progress(pending: object) -> None:
            assert isinstance(pending, PendingSignIn)
            if gen != self._generation:
                return
            self._window.set_sign_in_url(pending.url)
            self.sign_in_url_ready.emit(pending.url)
            if not self._open_url(pending.url):
                log.warning("no browser could be opened for the sign-in link")

        def done(account: Account) -> None:
            if gen != self._generation:
                return
            self._show_account(account)

        def failed(error: BaseException) -> None:
            if gen != self._generation:
                return
            self._window.show_signed_out(self.backend_url)
            if isinstance(error, SignedOut | SessionEnded):
                self._services.auth.forget()
            self._notice(error)
            self._keychain_notice()
            self.signed_out.emit()

        self._runner.run(work, done, failed, progress)

    def cancel_sign_in(self) -> None:
        """Cancel the sign-in in progress (also one whose link is not shown yet)."""
        with self._live_lock:
            self._cancel_wanted = True
            live = list(self._live)
        for pending in live:
            pending.cancel()

    # signed in -------------------------------------------------------------------------------

    def refresh_profile(self) -> None:
        """Check the account is still good (and refresh the integrations list)."""
        if self._window.state is not State.SIGNED_IN and not (
            self._window.state is State.SETTINGS and self._services.auth.signed_in
        ):
            return
        gen = self._generation
        services = self._services

        def done(account: Account) -> None:
            if gen == self._generation:
                self._show_account(account, quiet=True)

        def failed(error: BaseException) -> None:
            if gen != self._generation:
                return
            if isinstance(error, Offline | ServerError | BackendUnreachable):
                self._notice(error)  # still signed in; say the server is not answering
                return
            self._end_session(error)

        self._runner.run(lambda _r: services.account(self._platform), done, failed)

    def open_url(self, url: str) -> None:
        if not self._open_url(url):
            log.warning("no browser could be opened")

    def sign_out(self) -> None:
        gen = self._next_generation()
        self._timer.stop()
        self._window.clear_notice()
        self._window.show_busy("Signing out…")
        services = self._services

        def done(result: SignOutResult) -> None:
            if gen != self._generation:
                return
            self._window.show_signed_out(self.backend_url)
            self._window.show_notice(signed_out_notice(result.server_told))
            self.signed_out.emit()

        def failed(error: BaseException) -> None:
            if gen == self._generation:
                self._end_session(error)

        self._runner.run(lambda _r: services.auth.sign_out(), done, failed)

    # settings --------------------------------------------------------------------------------

    def change_backend(self, url: str) -> None:
        try:
            normalised = normalise_backend_url(url)
        except InvalidBackendUrl as exc:
            self._window.show_settings_error(str(exc))
            return
        if normalised == self.backend_url:
            self._window.close_settings()
            return
        self.cancel_sign_in()
        self._timer.stop()
        try:
            self._save_backend(normalised)
        except OSError as exc:
            self._window.show_settings_error(f"The setting could not be saved: {exc}")
            return
        old = self._services
        self._services = self._services_for(normalised)
        old.close()
        self._window.close_settings()
        self.backend_changed.emit(normalised)
        self.start()

    def shutdown(self) -> None:
        self._next_generation()
        self._timer.stop()
        self.cancel_sign_in()
        self._runner.wait()
        self._services.close()

    # internals -------------------------------------------------------------------------------

    def _next_generation(self) -> int:
        self._generation += 1
        return self._generation

    def _show_account(self, account: Account, *, quiet: bool = False) -> None:
        self._window.show_signed_in(self._profile(account))
        if not quiet:
            self._window.clear_notice()
            self._keychain_notice()
            self.signed_in.emit()
        self._timer.start()

    def _show_signed_out(self) -> None:
        self._timer.stop()
        self._window.show_signed_out(self.backend_url)
        self._keychain_notice()
        self.signed_out.emit()

    def _end_session(self, error: BaseException) -> None:
        """The backend ended the session (deactivated, removed, revoked...): say why."""
        self._timer.stop()
        if isinstance(error, SignedOut | SessionEnded):
            self._services.auth.forget()
        elif not isinstance(error, AuthError | KeychainUnavailable):
            log.error("unexpected error: %s", type(error).__name__)
        self._window.show_signed_out(self.backend_url)
        self._notice(error)
        self.signed_out.emit()

    def _notice(self, error: BaseException) -> None:
        if isinstance(error, SignInCancelled):
            return
        notice = notice_for(error, self.backend_url)
        if notice is not None:
            self._window.show_notice(notice)

    def _keychain_notice(self) -> None:
        problem = self._services.auth.keychain_problem
        if problem and self._window.notice.notice is None:
            self._window.show_notice(keychain_notice(problem))

    def _profile(self, account: Account) -> Profile:
        me = account.me
        installed = self._installed()
        rows = []
        for product, label in PRODUCTS.items():
            release = next((r for r in account.releases if r.product == product), None)
            rows.append(
                IntegrationRow(
                    product=label,
                    latest=release.version if release else None,
                    installed=installed.get(product),
                    download_url=release.download_url if release else None,
                    notes=release.notes or "" if release else "",
                )
            )
        return Profile(
            name=me.name,
            email=me.email,
            organization=me.organization.name,
            dashboard_url=me.dashboard_url,
            integrations=tuple(rows),
        )

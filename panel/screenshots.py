"""``quickture-panel --screenshot DIR``: every state of the panel, rendered offscreen to PNG.

Uses the real window with sample values, so a reviewer can look at the panel without a
backend.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from panel.auth.errors import AuthorizationDenied, BackendUnreachable, SignInTimedOut
from panel.messages import keychain_notice, notice_for, notice_for_reason, signed_out_notice
from panel.ui.main_window import MainWindow
from panel.ui.viewmodels import IntegrationRow, Profile

__all__ = ["SAMPLE_PROFILE", "render_screenshots"]

BACKEND = "https://quickture.acme-post.com"
SAMPLE_PROFILE = Profile(
    name="Ada Lovelace",
    email="ada@acme-post.com",
    organization="Acme Post",
    dashboard_url=BACKEND + "/dashboard",
    integrations=(
        IntegrationRow("Avid Media Composer", "2.4.1", "2.3.0", BACKEND + "/downloads/a",
                       "Faster scene detection."),
        IntegrationRow("Adobe Premiere Pro", "1.8.0", "1.8.0", BACKEND + "/downloads/p"),
    ),
)  # fmt: skip


def _states() -> list[tuple[str, Callable[[MainWindow], None]]]:
    def signed_out(w: MainWindow) -> None:
        w.show_signed_out(BACKEND)

    def signing_in(w: MainWindow) -> None:
        w.show_signed_out(BACKEND)
        w.show_signing_in()
        w.set_sign_in_url(BACKEND + "/oauth/authorize?client_id=quickture-panel")

    def signed_in(w: MainWindow) -> None:
        w.show_signed_in(SAMPLE_PROFILE)

    def restoring(w: MainWindow) -> None:
        w.show_busy("Signing you in…")

    def deactivated(w: MainWindow) -> None:
        w.show_signed_out(BACKEND)
        w.show_notice(notice_for_reason("deactivated"))

    def refused(w: MainWindow) -> None:
        w.show_signed_out(BACKEND)
        error = AuthorizationDenied("access_denied", "You are not assigned to Quickture.")
        notice = notice_for(error, BACKEND)
        assert notice is not None
        w.show_notice(notice)

    def timed_out(w: MainWindow) -> None:
        w.show_signed_out(BACKEND)
        notice = notice_for(SignInTimedOut(), BACKEND)
        assert notice is not None
        w.show_notice(notice)

    def offline(w: MainWindow) -> None:
        w.show_signed_out(BACKEND)
        notice = notice_for(BackendUnreachable("connection refused"), BACKEND)
        assert notice is not None
        w.show_notice(notice)

    def no_keychain(w: MainWindow) -> None:
        w.show_signed_in(SAMPLE_PROFILE)
        w.show_notice(keychain_notice("no OS keychain is available on this computer"))

    def signed_out_offline(w: MainWindow) -> None:
        w.show_signed_out(BACKEND)
        w.show_notice(signed_out_notice(server_told=False))

    def settings_error(w: MainWindow) -> None:
        w.show_signed_out(BACKEND)
        w.open_settings()
        w.settings.field.setText("http://quickture.acme-post.com")
        w.show_settings_error(
            "The server address must start with https:// (plain http is only allowed for a "
            "server on this computer)."
        )

    return [
        ("01-signed-out", signed_out),
        ("02-restoring", restoring),
        ("03-signing-in", signing_in),
        ("04-signed-in", signed_in),
        ("05-signed-in-no-keychain", no_keychain),
        ("06-deactivated", deactivated),
        ("07-sign-in-refused", refused),
        ("08-sign-in-timed-out", timed_out),
        ("09-offline", offline),
        ("10-signed-out-offline", signed_out_offline),
        ("11-settings-invalid", settings_error),
    ]


def render_screenshots(directory: Path) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["quickture-panel"])
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, arrange in _states():
        window = MainWindow()
        arrange(window)
        window.show()
        app.processEvents()
        path = directory / f"{name}.png"
        if not window.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        written.append(path)
        window.close()
        window.deleteLater()
    return written

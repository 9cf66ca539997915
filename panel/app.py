"""``quickture-panel``: build the real parts and run the panel.

Options: ``--backend URL`` (or ``QUICKTURE_BACKEND_URL``); ``--screenshot DIR`` renders each
state offscreen to PNG files and exits; ``--self-test`` checks that Qt starts offscreen, the
keyring module loads, httpx and the TLS certificates load, and the data files are found, then
exits 0 (the packaged build runs it).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from panel.auth.store import TokenStore
    from panel.controller import PanelController
    from panel.services import Services
    from panel.settings import PanelSettings
    from panel.ui.main_window import MainWindow

__all__ = ["main"]

log = logging.getLogger("quickture.panel")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quickture-panel", description="The Quickture panel for Avid and Premiere."
    )
    parser.add_argument(
        "--backend", metavar="URL", help="the Quickture server (default: QUICKTURE_BACKEND_URL, "
        "the saved setting, or http://127.0.0.1:8000)",
    )  # fmt: skip
    parser.add_argument(
        "--screenshot", metavar="DIR", type=Path,
        help="render every state offscreen to PNG files in DIR and exit",
    )  # fmt: skip
    parser.add_argument("--self-test", action="store_true", help="check the installation and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.self_test:
        from panel.selftest import run_self_test

        return run_self_test()
    if args.screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from panel.screenshots import render_screenshots

        for path in render_screenshots(args.screenshot):
            print(path)
        return 0
    return run(args.backend)


def run(backend_flag: str | None) -> int:
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    from panel.qtcheck import refcount_problem
    from panel.settings import InvalidBackendUrl, PanelSettings
    from panel.tasks import TaskRunner
    from panel.ui.main_window import MainWindow

    broken = refcount_problem()
    if broken:
        print(f"quickture-panel: {broken}", file=sys.stderr)
        return 3
    try:
        PanelSettings.check(backend_flag)
    except InvalidBackendUrl as exc:
        print(f"quickture-panel: {exc}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Quickture")
    app.setOrganizationName("Quickture")

    # First paint first: the window shows "Starting…" while httpx, Authlib, joserfc and the
    # keychain backends load on the pool; then the controller takes over on the GUI thread.
    window = MainWindow()
    window.show_busy("Starting…")
    window.show()
    runner = TaskRunner(QThreadPool.globalInstance())
    started: list[PanelController] = []

    def load(_report: object) -> tuple[PanelSettings, TokenStore, str | None]:
        import panel.controller  # noqa: F401 (the heavy imports, off the GUI thread)

        settings = PanelSettings.load(backend_flag)
        _setup_logging(settings.log_dir)
        return settings, *open_token_store()

    def loaded(result: tuple[PanelSettings, TokenStore, str | None]) -> None:
        settings, store, problem = result
        controller = build_controller(window, settings, store, problem)
        started.append(controller)
        controller.start()
        log.info("panel started for %s", settings.backend_url)

    def failed(error: BaseException) -> None:
        log.error("the panel could not start: %r", error)
        print(f"quickture-panel: could not start: {error!r}", file=sys.stderr)
        app.exit(4)

    after_first_paint(window, lambda: runner.run(load, loaded, failed))
    code = app.exec()
    for controller in started:
        controller.shutdown()  # cancels a sign-in in progress, then waits for the pool
    runner.wait()
    return int(code)


def after_first_paint(window: QWidget, then: Callable[[], None]) -> None:
    """Call ``then`` once, just after ``window`` has painted for the first time (so loading
    the rest never competes with the first paint for the GIL)."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class _Watch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                window.removeEventFilter(self)
                QTimer.singleShot(0, then)
            return False

    watch = _Watch(window)
    window.installEventFilter(watch)


def build_controller(
    window: MainWindow, settings: PanelSettings, store: TokenStore, problem: str | None
) -> PanelController:
    """The real wiring: the system browser through ``QDesktopServices`` (so a test can
    inject one with ``setUrlHandler``), the global thread pool, the installed integrations."""
    from PySide6.QtCore import QThreadPool, QUrl
    from PySide6.QtGui import QDesktopServices

    from panel.controller import PanelController
    from panel.integrations import current_platform, default_roots, installed_versions
    from panel.settings import save_backend_url
    from panel.tasks import TaskRunner

    roots = default_roots()
    return PanelController(
        window,
        lambda url: make_services(url, store, problem),
        settings.backend_url,
        runner=TaskRunner(QThreadPool.globalInstance()),
        open_url=lambda url: bool(QDesktopServices.openUrl(QUrl(url))),
        installed=lambda: installed_versions(roots),
        platform=current_platform(),
        save_backend=lambda url: save_backend_url(settings.config_dir, url),
    )


def open_token_store() -> tuple[TokenStore, str | None]:
    """The OS keychain, or this run's memory and the reason why not."""
    import keyring

    from panel.auth.errors import KeychainUnavailable
    from panel.auth.store import KeyringTokenStore, MemoryTokenStore

    store: TokenStore
    try:
        store = KeyringTokenStore(keyring.get_keyring())
        return store, None
    except KeychainUnavailable as exc:
        log.warning("no usable keychain: %s", exc)
        store = MemoryTokenStore()
        return store, str(exc)


def make_services(url: str, store: TokenStore, problem: str | None) -> Services:
    from panel.services import build_services

    services = build_services(url, store=store, clock=time.time, sleep=time.sleep)
    services.auth.keychain_problem = problem
    return services


def _setup_logging(log_dir: Path) -> None:
    import logging.handlers

    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_dir / "panel.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("quickture")
    root.addHandler(handler)
    root.setLevel(logging.INFO)


if __name__ == "__main__":
    raise SystemExit(main())

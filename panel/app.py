"""``quickture-panel``: build the real parts and run the panel.

Options: ``--backend URL`` (or ``QUICKTURE_BACKEND_URL``); ``--screenshot DIR`` renders each
state offscreen to PNG files and exits; ``--self-test`` checks that Qt starts offscreen, the
keyring module loads, httpx and the TLS certificates load, and the data files are found, then
exits 0 (the packaged build runs it).
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    from PySide6.QtWidgets import QApplication

    from panel.qtcheck import refcount_problem
    from panel.settings import InvalidBackendUrl, PanelSettings
    from panel.ui.main_window import MainWindow

    broken = refcount_problem()
    if broken:
        print(f"quickture-panel: {broken}", file=sys.stderr)
        return 3
    try:
        settings = PanelSettings.load(backend_flag)
    except InvalidBackendUrl as exc:
        print(f"quickture-panel: {exc}", file=sys.stderr)
        return 2
    _setup_logging(settings.log_dir)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Quickture")
    app.setOrganizationName("Quickture")

    window = MainWindow()
    store, problem = open_token_store()
    controller = build_controller(window, settings, store, problem)
    window.show()
    controller.start()
    log.info("panel started for %s", settings.backend_url)
    code = app.exec()
    controller.shutdown()
    return int(code)


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

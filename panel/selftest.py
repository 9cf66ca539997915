"""``quickture-panel --self-test``: is this installation (or frozen bundle) complete?

Checks that Qt starts offscreen and paints the window, that the keyring module and its
backends load, that httpx and the TLS certificate bundle load, and that the data files are
found through ``importlib.resources``. Prints one line per check; exit status 0 when all pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["run_self_test"]


def _qt() -> str:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from panel.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["quickture-panel"])
    window = MainWindow()
    window.show_signed_out("https://self-test.invalid")
    image = window.grab()
    app.processEvents()
    if image.isNull():
        raise RuntimeError("the window could not be painted")
    return (
        f"Qt {QGuiApplication.platformName()} ok, window painted {image.width()}x{image.height()}"
    )


def _pyside() -> str:
    import PySide6

    from panel.qtcheck import refcount_problem

    problem = refcount_problem()
    if problem:
        raise RuntimeError(problem)
    return f"PySide6 {PySide6.__version__} keeps reference counts right"


def _keyring() -> str:
    import keyring

    return f"keyring loaded, backend: {type(keyring.get_keyring()).__module__}"


def _tls() -> str:
    import ssl

    import certifi
    import httpx

    context = httpx.create_ssl_context()
    certs = context.cert_store_stats().get("x509_ca", 0)
    if not certs:
        raise RuntimeError(f"no CA certificates loaded (certifi: {certifi.where()})")
    return f"httpx {httpx.__version__}, {ssl.OPENSSL_VERSION}, {certs} CA certificates"


def _resources() -> str:
    from importlib import resources

    for package, name in (("panel.ui", "dark.css"), ("panel.auth", "pages/page.html")):
        if not resources.files(package).joinpath(name).read_text(encoding="utf-8"):
            raise RuntimeError(f"{package}/{name} is empty")
    return "data files found"


CHECKS: list[tuple[str, Callable[[], str]]] = [
    ("qt", _qt),
    ("pyside", _pyside),
    ("keyring", _keyring),
    ("tls", _tls),
    ("resources", _resources),
]


def run_self_test() -> int:
    failed = 0
    for name, check in CHECKS:
        try:
            print(f"ok   {name}: {check()}")
        except Exception as exc:  # report every failure, not just the first
            failed += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}")
    return 1 if failed else 0

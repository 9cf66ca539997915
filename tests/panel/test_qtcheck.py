"""The PySide6 in use must keep Python's reference counts right (6.12.0 on 3.11 does not)."""

import subprocess
import sys

from panel.qtcheck import refcount_problem


def test_the_installed_pyside6_keeps_reference_counts():
    assert refcount_problem() is None


def test_the_check_notices_a_leak(monkeypatch):
    counts = iter([5000, 4000])
    monkeypatch.setattr(sys, "getrefcount", lambda obj: next(counts))
    assert "loses a reference to None" in refcount_problem()


def test_many_qt_calls_do_not_crash_the_interpreter():
    code = (
        "from PySide6.QtCore import QObject\n"
        "o = QObject()\n"
        "for _ in range(20000): o.setObjectName('x')\n"
        "print('alive')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "alive" in out.stdout, out.stderr[-500:]

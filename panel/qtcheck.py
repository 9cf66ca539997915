"""Is the PySide6 we run on safe? A run-time check, not a version list.

PySide6 6.12.0 under Python 3.11 returns ``None`` (and ``True`` from ``emit``) without a new
reference: every such call lowers the count, and after a few thousand calls the interpreter
aborts ("none_dealloc: deallocating None"). Python 3.12+ hides it (``None`` is immortal there).
The panel refuses to start on such a build, and ``--self-test`` fails, rather than crash
in an editor's hands.
"""

from __future__ import annotations

import sys

__all__ = ["refcount_problem"]

CALLS = 64


def refcount_problem() -> str | None:
    """A sentence describing the bug when this PySide6 has it, else None."""
    import PySide6
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        probe.setObjectName("probe")
    lost = before - sys.getrefcount(None)
    if lost >= CALLS:
        return (
            f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} loses a "
            "reference to None on every call and would crash the panel; install another "
            "PySide6 version (6.11.3 works)"
        )
    return None

from __future__ import annotations

__all__ = ["OpsError"]


class OpsError(Exception):
    """An operator command cannot do what was asked; the message says what to do instead."""

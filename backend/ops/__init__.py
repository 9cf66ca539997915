"""Operator commands: online backup of the SQLite store, re-encryption under a new at-rest key.

Errors (``OpsError``) carry a message the CLI prints as one line. ``commands`` adds the
``backup`` and ``rotate-secret-key`` subcommands to ``quickture-backend``.
"""

from __future__ import annotations

from backend.ops.backup import BackupResult, backup_sqlite
from backend.ops.errors import OpsError
from backend.ops.rotate import RotationResult, rotate_secrets

__all__ = ["BackupResult", "OpsError", "RotationResult", "backup_sqlite", "rotate_secrets"]

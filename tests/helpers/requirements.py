"""System dependencies of tests: in CI (``CI=true``) a missing one fails the test; elsewhere it
skips with a reason that says what to install."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> None:
    """Fail in CI, skip elsewhere."""
    if IN_CI:
        pytest.fail(f"missing system dependency in CI: {reason}", pytrace=False)
    pytest.skip(reason)

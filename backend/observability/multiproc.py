"""Multi-process metrics for ``serve --workers N``.

``prometheus-client`` decides at import time whether it keeps values in memory (one process)
or in files under ``PROMETHEUS_MULTIPROC_DIR`` (several). ``serve`` calls ``prepare`` in the
parent before uvicorn starts its workers, which inherit the environment. This module must not
import ``prometheus_client`` itself: the parent only sets the stage.

The directory is emptied at start: files left by an earlier run would otherwise be counted
again. Operators running gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` themselves (see
docs/deploy.md) and must empty it before each start the same way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["ENV", "prepare"]

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(workers: int, environ: dict[str, str] | os._Environ[str] | None = None) -> Path | None:
    """For several workers: make sure ``PROMETHEUS_MULTIPROC_DIR`` names an empty directory.

    Returns that directory, or ``None`` for one worker without the variable (plain in-memory
    metrics). A directory the operator set is emptied of ``*.db`` files only.
    """
    env = os.environ if environ is None else environ
    configured = env.get(ENV, "").strip()
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return path
    if workers <= 1:
        return None
    path = Path(tempfile.mkdtemp(prefix="quickture-metrics-"))
    env[ENV] = str(path)
    return path


def cleanup(path: Path | None) -> None:
    """Remove a directory that ``prepare`` made (not one the operator configured)."""
    if path is not None and path.name.startswith("quickture-metrics-"):
        shutil.rmtree(path, ignore_errors=True)

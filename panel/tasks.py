"""Run blocking work on a thread pool and hand the outcome back to the GUI thread.

``TaskRunner.run(fn, on_done, on_failed, on_progress)``: ``fn(report)`` runs on the pool
(``report(value)`` sends progress); the callbacks run on the GUI thread, delivered by queued
signals of a relay object that lives there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

__all__ = ["TaskRunner"]

Report = Callable[[Any], None]


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(object)

    def __init__(
        self,
        on_done: Callable[[Any], None],
        on_failed: Callable[[BaseException], None],
        on_progress: Callable[[Any], None] | None,
        forget: Callable[[_Relay], None],
    ) -> None:
        super().__init__()
        self._on_done = on_done
        self._on_failed = on_failed
        self._on_progress = on_progress
        self._forget = forget
        # The relay lives on the GUI thread and the job emits from the pool, so these
        # (automatic) connections are queued: the callbacks run on the GUI thread.
        self.done.connect(self._deliver_done)
        self.failed.connect(self._deliver_failed)
        self.progress.connect(self._deliver_progress)

    def _deliver_done(self, value: object) -> None:
        self._forget(self)
        self._on_done(value)

    def _deliver_failed(self, error: object) -> None:
        self._forget(self)
        assert isinstance(error, BaseException)
        self._on_failed(error)

    def _deliver_progress(self, value: object) -> None:
        if self._on_progress is not None:
            self._on_progress(value)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[Report], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            value = self._fn(self._relay.progress.emit)
        except BaseException as exc:  # handed to on_failed, which decides
            self._relay.failed.emit(exc)
        else:
            self._relay.done.emit(value)


class TaskRunner:
    def __init__(self, pool: QThreadPool) -> None:
        self._pool = pool
        self._relays: set[_Relay] = set()

    @property
    def busy(self) -> bool:
        return bool(self._relays)

    def run(
        self,
        fn: Callable[[Report], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[BaseException], None],
        on_progress: Callable[[Any], None] | None = None,
    ) -> None:
        relay = _Relay(on_done, on_failed, on_progress, self._relays.discard)
        self._relays.add(relay)
        self._pool.start(_Job(fn, relay))

    def wait(self, msecs: int = 10_000) -> bool:
        return bool(self._pool.waitForDone(msecs))

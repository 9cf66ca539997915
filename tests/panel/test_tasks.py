"""Results of pool work come back on the GUI thread."""

import threading

from PySide6.QtCore import QThreadPool

from panel.tasks import TaskRunner


def test_done_progress_and_failure_are_delivered_on_the_gui_thread(qtbot):
    runner = TaskRunner(QThreadPool.globalInstance())
    gui = threading.get_ident()
    seen = []

    def work(report):
        seen.append(("work", threading.get_ident() != gui))
        report("halfway")
        return 42

    runner.run(
        work,
        lambda v: seen.append(("done", v, threading.get_ident() == gui)),
        lambda e: seen.append(("failed", e)),
        lambda p: seen.append(("progress", p, threading.get_ident() == gui)),
    )
    qtbot.wait_until(lambda: any(s[0] == "done" for s in seen))
    assert ("work", True) in seen
    assert ("progress", "halfway", True) in seen and ("done", 42, True) in seen
    assert not runner.busy

    errors = []
    runner.run(lambda r: 1 / 0, lambda v: None, errors.append)
    qtbot.wait_until(lambda: bool(errors))
    assert isinstance(errors[0], ZeroDivisionError)
    assert runner.wait(1000)

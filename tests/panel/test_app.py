"""The entry point: --self-test, --screenshot, --backend validation."""

import os
import subprocess
import sys

from PySide6.QtGui import QImage

from panel.app import main


def test_self_test_passes_in_a_fresh_process():
    result = subprocess.run(
        [sys.executable, "-m", "panel.app", "--self-test"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for check in ("qt", "keyring", "tls", "resources"):
        assert f"ok   {check}:" in result.stdout


def test_screenshots_render_every_state(qapp, tmp_path, capsys):
    assert main(["--screenshot", str(tmp_path)]) == 0
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
    assert "04-signed-in.png" in shots and "06-deactivated.png" in shots and len(shots) == 11
    image = QImage(str(tmp_path / "04-signed-in.png"))
    assert image.width() >= 300 and image.height() >= 300
    # dark: the top-left corner is the window background, not white
    assert image.pixelColor(2, 2).lightness() < 60


def test_an_invalid_backend_is_refused_before_anything_starts(capsys):
    assert main(["--backend", "http://not-loopback.example.com"]) == 2
    assert "https://" in capsys.readouterr().err


RUN_UNTIL_SIGNED_OUT = r"""
import sys
from PySide6.QtWidgets import QApplication

original_exec = QApplication.exec
seen = []

def exec_until_signed_out(*_args):
    app = QApplication.instance()
    window = next(w for w in app.topLevelWidgets() if w.objectName() == "QuicktureWindow")
    seen.append(window.state.value)  # "busy": the window is up before anything else loads

    def check(state):
        seen.append(state.value)
        if state.value == "signed_out":
            app.quit()

    window.state_changed.connect(check)
    original_exec()
    return 0

QApplication.exec = exec_until_signed_out
from panel.app import main
code = main(["--backend", "http://127.0.0.1:9"])
print("states", seen, "code", code)
"""


def test_the_real_entry_point_shows_the_window_first_then_settles(tmp_path):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    result = subprocess.run(
        [sys.executable, "-c", RUN_UNTIL_SIGNED_OUT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "states ['busy'" in result.stdout and "'signed_out'] code 0" in result.stdout
    assert list(tmp_path.rglob("panel.log")), "the log goes to the platform log directory"

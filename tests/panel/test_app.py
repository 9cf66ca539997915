"""The entry point: --self-test, --screenshot, --backend validation."""

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

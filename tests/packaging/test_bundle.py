"""Build the frozen panel with the real build command and run its ``--self-test``.

Slow (about a minute): marked ``bundle`` so the quick local loop can skip it with
``-m 'not bundle'``; CI runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.requirements import missing

pytestmark = [pytest.mark.bundle, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if shutil.which("pyinstaller", path=str(Path(sys.executable).parent)) is None:
        missing("PyInstaller is not installed (scripts/bootstrap test installs it)")
    out = tmp_path_factory.mktemp("bundle")
    env = {**os.environ, "PYTHON": sys.executable, "DIST_DIR": str(out / "dist"),
           "BUILD_DIR": str(out / "build"), "SKIP_SELF_TEST": "1"}  # fmt: skip
    proc = subprocess.run(["bash", str(ROOT / "packaging" / "build.sh")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert proc.returncode == 0, f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    exe = out / "dist" / "Quickture" / "Quickture"
    assert exe.is_file() and os.access(exe, os.X_OK), f"no executable at {exe}"
    yield exe


def run_self_test(exe: Path, *wrapper: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run([*wrapper, str(exe), "--self-test"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=exe.parent.parent)  # fmt: skip


def test_the_frozen_panel_passes_its_self_test(bundle: Path) -> None:
    help_text = subprocess.run([str(bundle), "--help"], capture_output=True, text=True,
                               timeout=60).stdout  # fmt: skip
    if "--self-test" not in help_text:
        pytest.fail("the panel has no --self-test flag yet (panel/app.py main())", pytrace=False)
    proc = run_self_test(bundle)
    assert proc.returncode == 0, f"self-test failed:\n{proc.stdout}\n{proc.stderr}"
    lines = proc.stdout.splitlines()
    for check in ("qt", "keyring", "tls", "resources"):
        assert any(line.startswith(f"ok   {check}:") for line in lines), proc.stdout
    assert "FAIL" not in proc.stdout


def test_the_frozen_keyring_finds_the_secret_service(bundle: Path) -> None:
    """With a D-Bus session and gnome-keyring, the bundled keyring uses the Secret Service:
    its backends and their dependencies (secretstorage, jeepney) were collected."""
    if not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")):
        missing("dbus-run-session and gnome-keyring-daemon (Debian: dbus, gnome-keyring)")
    script = ("echo -n selftest | gnome-keyring-daemon --unlock --components=secrets "
              '>/dev/null 2>&1; exec "$0" --self-test')  # fmt: skip
    proc = run_self_test(bundle, "dbus-run-session", "--", "bash", "-c", script)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    assert "backend: keyring.backends.SecretService" in proc.stdout, proc.stdout


def test_the_bundle_carries_the_version_and_its_data(bundle: Path) -> None:
    from importlib.metadata import version

    internal = bundle.parent / "_internal"
    # dist-info from a wheel install, egg-info from an editable one
    meta = [
        *internal.glob("quickture-*.dist-info/METADATA"),
        *internal.glob("quickture.egg-info/PKG-INFO"),
    ]
    assert meta, "the package metadata (its version) was not collected"
    assert f"Version: {version('quickture')}" in meta[0].read_text()
    assert (internal / "panel" / "ui" / "dark.css").is_file()
    assert (internal / "panel" / "auth" / "pages" / "page.html").is_file()
    assert not (internal / "backend").exists()  # the server side stays out of the panel

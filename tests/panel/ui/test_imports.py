"""``panel.ui`` knows nothing of HTTP or the keychain (DESIGN.md, STYLE.md)."""

import subprocess
import sys


def test_panel_ui_imports_neither_httpx_nor_keyring():
    code = (
        "import sys, panel.ui, panel.ui.main_window, panel.ui.signed_in_view;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'keyring', 'panel')"
        " and not m.startswith('panel.ui') and m != 'panel');"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

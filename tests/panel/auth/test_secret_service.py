"""Once with the REAL Secret Service: gnome-keyring in a private D-Bus session.

``dbus-run-session`` starts a session bus for a child process; the child unlocks a fresh
gnome-keyring (password on stdin, HOME in a temp dir) and runs the panel's token store and
the app's keychain choice against it. Debian packages: ``gnome-keyring dbus`` (which provides
``dbus-run-session``); Python: ``secretstorage`` (a ``keyring`` dependency on Linux).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.helpers.requirements import missing

CHILD = textwrap.dedent(
    """
    import json, subprocess, sys
    daemon = subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
        input=b"quickture-test-password", capture_output=True, check=True,
    )
    import keyring, secretstorage
    from keyring.backends import SecretService
    from panel.app import open_token_store
    from panel.auth.store import KeyringTokenStore, StoredSession, SERVICE

    store, problem = open_token_store()   # what the app picks on its own
    assert problem is None, problem
    assert isinstance(keyring.get_keyring(), SecretService.Keyring), keyring.get_keyring()
    assert isinstance(store, KeyringTokenStore) and store.persistent

    url = "https://quickture.acme-post.test"
    store.save(url, StoredSession("rt-first", "user-1"))
    store.save(url, StoredSession("rt-rotated", "user-1"))     # rotation replaces the entry
    assert store.load(url) == StoredSession("rt-rotated", "user-1")

    bus = secretstorage.dbus_init()
    items = [i for c in secretstorage.get_all_collections(bus)
             for i in c.search_items({"service": SERVICE, "username": url})]
    assert len(items) == 1, items
    secret = json.loads(items[0].get_secret())
    assert secret == {"v": 1, "refresh_token": "rt-rotated", "sub": "user-1"}, secret

    store.delete(url)
    assert store.load(url) is None
    print("secret-service-ok")
    """
)


def test_token_store_with_the_real_secret_service(tmp_path: Path):
    tools = ("dbus-run-session", "gnome-keyring-daemon")
    absent = [t for t in tools if shutil.which(t) is None]
    if absent:
        missing(f"{', '.join(absent)} not found: install the Debian packages gnome-keyring dbus")
    home = tmp_path / "home"
    runtime_dir = tmp_path / "run"
    home.mkdir()
    runtime_dir.mkdir(mode=0o700)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_RUNTIME_DIR": str(runtime_dir),
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
    }
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    result = subprocess.run(
        ["dbus-run-session", "--", sys.executable, "-c", CHILD],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "secret-service-ok" in result.stdout

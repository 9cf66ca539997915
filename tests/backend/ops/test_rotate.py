"""Re-encrypting stored secrets under the newest at-rest key, all in one transaction."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from backend.domain import connections, orgs
from backend.oauth.keys import KeyStore
from backend.ops import rotate_secrets
from backend.runtime import Runtime
from backend.store.models import Connection, SigningKey
from backend.store.secretbox import SecretBox, SecretBoxError
from tests.conftest import make_settings

EXE = str(Path(sys.executable).with_name("quickture-backend"))


def seed(rt: Runtime, box: SecretBox, n: int = 2) -> None:
    with rt.db.write() as s:
        org = orgs.create_org(s, "Acme", ["acme.test"], actor="test")
        for i in range(n):
            connections.create_connection(
                s, box, org_id=org.id, issuer=f"https://acme{i}.okta.com", client_id=f"cid{i}",
                client_secret=f"secret-{i}", actor="test",
            )  # fmt: skip
        KeyStore(box).current(s)


def stored(rt: Runtime) -> list[str]:
    with rt.db.read() as s:
        return [
            *s.scalars(sa.select(Connection.client_secret_enc).order_by(Connection.client_id)),
            *s.scalars(sa.select(SigningKey.private_key_enc)),
        ]


def test_everything_ends_up_under_the_newest_key(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    rt = Runtime.open(make_settings(tmp_path))
    rt.db.migrate()
    seed(rt, SecretBox(old))
    before = stored(rt)
    with rt.db.write() as s:
        result = rotate_secrets(s, SecretBox(f"{new},{old}"))
    assert (result.client_secrets, result.signing_keys) == (2, 1)
    after = stored(rt)
    assert all(a != b for a, b in zip(after, before, strict=True))
    only_new = SecretBox(new)
    assert [only_new.decrypt(v) for v in after[:2]] == ["secret-0", "secret-1"]
    assert only_new.decrypt(after[2]).startswith("-----BEGIN PRIVATE KEY-----")
    with pytest.raises(SecretBoxError):
        SecretBox(old).decrypt(after[0])
    rt.close()


def test_a_secret_no_key_opens_rolls_everything_back(tmp_path: Path) -> None:
    old, new, lost = (Fernet.generate_key().decode() for _ in range(3))
    rt = Runtime.open(make_settings(tmp_path))
    rt.db.migrate()
    seed(rt, SecretBox(old))
    with rt.db.write() as s:  # a signing key made under a key nobody has any more
        KeyStore(SecretBox(lost)).rotate(s)
    before = stored(rt)
    with pytest.raises(SecretBoxError, match="cannot be decrypted"), rt.db.write() as s:
        rotate_secrets(s, SecretBox(f"{new},{old}"))
    assert stored(rt) == before
    rt.close()


def test_the_cli_command_rotates_and_says_what_it_did(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = make_settings(tmp_path / "data")
    rt = Runtime.open(settings)
    rt.db.migrate()
    seed(rt, SecretBox(old), n=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKTURE_")}
    env["QUICKTURE_DATA_DIR"] = str(settings.data_dir)
    env["QUICKTURE_SECRET_KEY"] = f"{new},{old}"
    proc = subprocess.run([EXE, "rotate-secret-key", "--json"], env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert '"client_secrets": 1' in proc.stdout and '"keys_configured": 2' in proc.stdout
    assert '"signing_keys": 1' in proc.stdout
    assert SecretBox(new).decrypt(stored(rt)[0]) == "secret-0"
    env["QUICKTURE_SECRET_KEY"] = Fernet.generate_key().decode()  # the wrong key
    bad = subprocess.run([EXE, "rotate-secret-key"], env=env, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=60)  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "cannot be decrypted" in bad.stderr
    rt.close()


def test_rotate_signing_key_makes_a_new_current_key_and_keeps_the_old_published(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path / "data")
    rt = Runtime.open(settings)
    rt.db.migrate()
    with rt.db.write() as s:
        first = KeyStore(rt.box).current(s).kid
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKTURE_")}
    env["QUICKTURE_DATA_DIR"] = str(settings.data_dir)
    env["QUICKTURE_SECRET_KEY"] = settings.secret_key or ""
    proc = subprocess.run([EXE, "rotate-signing-key", "--json"], env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["kid"] != first
    assert set(out["published"]) == {first, out["kid"]}
    with rt.db.write() as s:
        assert KeyStore(rt.box).current(s).kid == out["kid"]  # a fresh process signs with it
    rt.close()

import os
import threading

import pytest
from cryptography.fernet import Fernet

from backend.store.secretbox import SecretBox, SecretBoxError, load_or_create_key


def test_key_file_created_once_owner_only(tmp_path):
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(load_or_create_key(tmp_path, None)))
        for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert os.stat(tmp_path / "secret.key").st_mode & 0o777 == 0o600
    assert load_or_create_key(tmp_path, "configured") == "configured"


def test_roundtrip_and_rotation():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    ct = SecretBox(old).encrypt("secret")
    rotated_box = SecretBox(f"{new},{old}")
    assert rotated_box.decrypt(ct) == "secret"
    rotated = rotated_box.rotate(ct)
    assert SecretBox(new).decrypt(rotated) == "secret"
    with pytest.raises(SecretBoxError, match="key has changed"):
        SecretBox(new).decrypt(ct)


def test_bad_key():
    with pytest.raises(SecretBoxError, match="not a valid key"):
        SecretBox("nope")

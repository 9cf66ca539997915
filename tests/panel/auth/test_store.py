import json

import keyring
import keyring.errors
import pytest
from keyring.backends import fail

from panel.auth.errors import KeychainUnavailable
from panel.auth.store import SERVICE, KeyringTokenStore, MemoryTokenStore, StoredSession


def test_round_trip_one_entry_per_backend(memory_keyring):
    store = KeyringTokenStore(keyring.get_keyring())
    store.save("https://a.example", StoredSession("rt-a", "u1"))
    store.save("https://b.example", StoredSession("rt-b", "u2"))
    assert store.load("https://a.example") == StoredSession("rt-a", "u1")
    assert store.load("https://b.example").refresh_token == "rt-b"
    secret = json.loads(memory_keyring.entries[(SERVICE, "https://a.example")])
    assert secret == {"v": 1, "refresh_token": "rt-a", "sub": "u1"}
    store.delete("https://a.example")
    assert store.load("https://a.example") is None
    store.delete("https://a.example")  # deleting twice is fine


def test_rotation_replaces_the_entry(memory_keyring):
    store = KeyringTokenStore(keyring.get_keyring())
    store.save("u", StoredSession("old", "s"))
    store.save("u", StoredSession("new", "s"))
    assert store.load("u").refresh_token == "new"
    assert len(memory_keyring.entries) == 1


def test_secret_stays_under_the_windows_limit():
    with pytest.raises(KeychainUnavailable, match="too large"):
        StoredSession("x" * 2000, "s").to_secret()
    assert len(StoredSession("x" * 512, "s").to_secret().encode("utf-16-le")) < 2560


def test_repr_hides_the_token():
    assert "secret-rt" not in repr(StoredSession("secret-rt", "s"))


def test_garbage_entries_read_as_none(memory_keyring):
    memory_keyring.entries[(SERVICE, "u")] = "not json"
    assert KeyringTokenStore(keyring.get_keyring()).load("u") is None


def test_no_backend_is_unavailable():
    with pytest.raises(KeychainUnavailable, match="no OS keychain"):
        KeyringTokenStore(fail.Keyring())


class LockedKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service, username, password):
        raise keyring.errors.PasswordSetError("refused")

    def delete_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")


def test_a_locked_keychain_is_unavailable_for_every_operation():
    store = KeyringTokenStore(LockedKeyring())
    for op in (lambda: store.load("u"), lambda: store.save("u", StoredSession("r", None)),
               lambda: store.delete("u")):  # fmt: skip
        with pytest.raises(KeychainUnavailable):
            op()


def test_memory_store_is_not_persistent():
    store = MemoryTokenStore()
    store.save("u", StoredSession("r", None))
    assert store.load("u").refresh_token == "r" and store.persistent is False
    store.delete("u")
    assert store.load("u") is None

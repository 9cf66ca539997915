"""Encryption at rest for client secrets and signing keys (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from ``QUICKTURE_SECRET_KEY`` or from ``<data dir>/secret.key``, which the first
start creates with owner-only permissions. Several keys may be given, comma-separated, newest
first: values are decrypted with any of them and encrypted with the first (key rotation).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["SecretBox", "SecretBoxError", "load_or_create_key"]

KEY_FILE = "secret.key"


class SecretBoxError(Exception):
    """A stored secret cannot be decrypted with the configured key(s)."""


class SecretBox:
    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise SecretBoxError("no at-rest key configured")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        except ValueError as exc:
            raise SecretBoxError(
                "QUICKTURE_SECRET_KEY is not a valid key; make one with `python -c "
                "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
            ) from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError(
                "a stored secret cannot be decrypted: the at-rest key has changed"
            ) from exc

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt ``ciphertext`` under the newest key."""
        return self._fernet.rotate(ciphertext.encode()).decode()


def load_or_create_key(data_dir: Path, configured: str | None) -> str:
    """The at-rest key(s): the configured value, else the key file (created if missing)."""
    if configured:
        return configured
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    # Write a private temp file, then link it into place: the link is atomic and fails if
    # another process got there first, so nobody ever reads a half-written key.
    tmp = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text().strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key

"""Where the refresh token lives between runs: the OS keychain, through ``keyring``.

One entry per backend URL under the service "Quickture". The secret is a small JSON object,
``{"v": 1, "refresh_token": ..., "sub": ...}``, well under the 2,560 bytes Windows Credential
Manager allows (it stores UTF-16, so we cap the JSON at 1,200 characters). The access token
never comes here; nothing here ever goes to a file or a log.

``KeyringTokenStore`` raises ``KeychainUnavailable`` whenever the keychain cannot be used
(no backend, locked, refused); ``MemoryTokenStore`` is the fall-back for this run only.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Protocol

import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail

from panel.auth.errors import KeychainUnavailable

__all__ = [
    "SERVICE",
    "KeyringTokenStore",
    "MemoryTokenStore",
    "StoredSession",
    "TokenStore",
    "keychain_problem",
]

SERVICE = "Quickture"
MAX_SECRET_CHARS = 1200


@dataclass(frozen=True, slots=True)
class StoredSession:
    refresh_token: str
    subject: str | None

    def __repr__(self) -> str:
        return f"StoredSession(subject={self.subject!r})"

    def to_secret(self) -> str:
        secret = json.dumps(
            {"v": 1, "refresh_token": self.refresh_token, "sub": self.subject},
            separators=(",", ":"),
        )
        if len(secret) > MAX_SECRET_CHARS:
            raise KeychainUnavailable("the refresh token is too large for the OS keychain")
        return secret

    @classmethod
    def from_secret(cls, secret: str) -> StoredSession | None:
        try:
            data = json.loads(secret)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("refresh_token"), str):
            return None
        sub = data.get("sub")
        return cls(
            refresh_token=data["refresh_token"], subject=sub if isinstance(sub, str) else None
        )


class TokenStore(Protocol):
    persistent: bool

    def load(self, backend_url: str) -> StoredSession | None: ...

    def save(self, backend_url: str, session: StoredSession) -> None: ...

    def delete(self, backend_url: str) -> None: ...


def keychain_problem(backend: KeyringBackend) -> str | None:
    """Why ``backend`` cannot keep secrets, or None when it looks usable."""
    if isinstance(backend, fail.Keyring):
        return "no OS keychain is available on this computer"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "no OS keychain is available on this computer"
    return None


class KeyringTokenStore:
    """The OS keychain. Every operation either works or raises ``KeychainUnavailable``."""

    persistent = True

    def __init__(self, backend: KeyringBackend) -> None:
        self._backend = backend
        problem = keychain_problem(backend)
        if problem:
            raise KeychainUnavailable(problem)

    def load(self, backend_url: str) -> StoredSession | None:
        try:
            secret = self._backend.get_password(SERVICE, backend_url)
        except (keyring.errors.KeyringError, OSError) as exc:
            raise KeychainUnavailable(f"the OS keychain could not be read: {exc}") from exc
        return StoredSession.from_secret(secret) if secret else None

    def save(self, backend_url: str, session: StoredSession) -> None:
        """Replace the entry in one keychain write, so a crash leaves the old or the new one."""
        secret = session.to_secret()
        try:
            self._backend.set_password(SERVICE, backend_url, secret)
        except (keyring.errors.KeyringError, OSError) as exc:
            raise KeychainUnavailable(f"the OS keychain refused to store: {exc}") from exc

    def delete(self, backend_url: str) -> None:
        try:
            self._backend.delete_password(SERVICE, backend_url)
        except keyring.errors.PasswordDeleteError:
            return  # nothing stored: already gone
        except (keyring.errors.KeyringError, OSError) as exc:
            raise KeychainUnavailable(f"the OS keychain could not be changed: {exc}") from exc


class MemoryTokenStore:
    """Keeps the session in this process only: the fall-back when there is no keychain."""

    persistent = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, StoredSession] = {}

    def load(self, backend_url: str) -> StoredSession | None:
        with self._lock:
            return self._entries.get(backend_url)

    def save(self, backend_url: str, session: StoredSession) -> None:
        with self._lock:
            self._entries[backend_url] = session

    def delete(self, backend_url: str) -> None:
        with self._lock:
            self._entries.pop(backend_url, None)

"""Login transactions: one row per sign-in in flight at an identity provider.

A row binds the ``state`` we sent to one connection, the issuer we sent the user to, the
``nonce`` and the PKCE verifier, and lives ``LOGIN_LIFETIME``. It is in the database so the
callback may reach another backend process than the one that started the login, and it is
claimed atomically (single use).

The row's key is a hash of the state *and* a random value in the browser's ``qt_login`` cookie,
so a callback only finds its transaction in the browser that started it (login CSRF defence:
nobody can make a victim's browser finish a sign-in the attacker started).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.store.models import LoginTransaction
from backend.store.models.base import utcnow

__all__ = [
    "BINDING_COOKIE",
    "DEFAULT_RETURN_TO",
    "LOGIN_LIFETIME",
    "NewLogin",
    "PendingLogin",
    "begin",
    "consume",
    "new_binding",
    "safe_return_to",
]

LOGIN_LIFETIME = timedelta(minutes=10)
KEEP_EXPIRED = timedelta(days=1)
BINDING_COOKIE = "qt_login"
DEFAULT_RETURN_TO = "/dashboard"


@dataclass(frozen=True, slots=True)
class NewLogin:
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True, slots=True)
class PendingLogin:
    connection_id: str
    issuer: str
    nonce: str
    code_verifier: str
    email_hint: str | None
    return_to: str


def new_binding() -> str:
    return secrets.token_urlsafe(32)


def is_binding(value: str | None) -> bool:
    return bool(value) and len(value or "") == 43


def _key(state: str, binding: str) -> str:
    return hashlib.sha256(f"{binding}:{state}".encode()).hexdigest()


def safe_return_to(value: str | None, default: str = DEFAULT_RETURN_TO) -> str:
    """A path on this site (``/...``), never another site: no scheme, host or ``//``."""
    if not value or len(value) > 2000:
        return default
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(c in value for c in "\\\r\n\t") or any(ord(c) < 0x20 for c in value):
        return default
    return value


def begin(
    s: Session,
    *,
    binding: str,
    connection_id: str,
    issuer: str,
    email_hint: str | None,
    return_to: str,
) -> NewLogin:
    now = utcnow()
    s.execute(sa.delete(LoginTransaction).where(LoginTransaction.expires_at < now - KEEP_EXPIRED))
    new = NewLogin(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        code_verifier=secrets.token_urlsafe(48),
    )
    s.add(
        LoginTransaction(
            state_hash=_key(new.state, binding),
            connection_id=connection_id,
            issuer=issuer,
            nonce=new.nonce,
            code_verifier=new.code_verifier,
            email_hint=email_hint,
            return_to=safe_return_to(return_to),
            created_at=now,
            expires_at=now + LOGIN_LIFETIME,
        )
    )
    return new


def consume(s: Session, *, state: str, binding: str | None) -> PendingLogin | None:
    """Claim the login for ``state`` in this browser: None if unknown, used or expired."""
    if not state or len(state) > 200 or not binding:
        return None
    key = _key(state, binding)
    now = utcnow()
    claimed = s.execute(
        sa.update(LoginTransaction)
        .where(
            LoginTransaction.state_hash == key,
            LoginTransaction.used_at.is_(None),
            LoginTransaction.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = s.get(LoginTransaction, key)
    if row is None:
        return None
    return PendingLogin(
        connection_id=row.connection_id,
        issuer=row.issuer,
        nonce=row.nonce,
        code_verifier=row.code_verifier,
        email_hint=row.email_hint,
        return_to=row.return_to,
    )

"""The keys that sign our ID tokens and access tokens, kept in ``signing_keys``.

The private half is encrypted at rest with the runtime's secret box. One key signs (the newest
that is not retired); every key that is live, or was retired less than ``PUBLISHED_AFTER_RETIRE``
ago, is published at ``/oauth/jwks`` so tokens it signed stay verifiable until they expire.
A second backend process finds the same keys in the database; each process only caches the
decrypted keys by ``kid`` (a ``kid`` never changes meaning) and re-reads which one is current.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from joserfc.jwk import RSAKey
from sqlalchemy.orm import Session

from backend.store.models import SigningKey
from backend.store.models.base import utcnow
from backend.store.secretbox import SecretBox

__all__ = ["ALG", "PUBLISHED_AFTER_RETIRE", "KeyStore", "SigningKeyInfo"]

ALG = "RS256"
# Longer than any token we sign lives (access and ID tokens: minutes), plus clock leeway.
PUBLISHED_AFTER_RETIRE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class SigningKeyInfo:
    kid: str
    alg: str
    private: RSAKey


class KeyStore:
    """Loads, creates and rotates signing keys; caches decrypted keys per ``kid``."""

    def __init__(self, box: SecretBox) -> None:
        self._box = box
        self._private: dict[str, RSAKey] = {}
        self._public: dict[str, RSAKey] = {}
        self._lock = threading.Lock()

    def current(self, s: Session) -> SigningKeyInfo:
        """The key that signs new tokens; makes the first one if there is none."""
        row = s.scalar(
            sa.select(SigningKey)
            .where(SigningKey.retired_at.is_(None))
            .order_by(SigningKey.created_at.desc(), SigningKey.kid)
            .limit(1)
        )
        if row is None:
            row = self._create(s)
        return SigningKeyInfo(kid=row.kid, alg=row.alg, private=self._decrypt(row))

    def rotate(self, s: Session) -> str:
        """Make a new signing key and retire the others (they stay published for a while)."""
        now = utcnow()
        s.execute(
            sa.update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=now)
        )
        return self._create(s).kid

    def published(self, s: Session) -> dict[str, Any]:
        """The JWK Set of public keys that may verify a live token."""
        cutoff = utcnow() - PUBLISHED_AFTER_RETIRE
        rows = s.scalars(
            sa.select(SigningKey)
            .where(sa.or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > cutoff))
            .order_by(SigningKey.created_at.desc())
        )
        return {"keys": [dict(r.public_jwk) for r in rows]}

    def public_key(self, s: Session, kid: str) -> RSAKey | None:
        """The public key ``kid`` if it is still published (cached once seen)."""
        cached = self._public.get(kid)
        if cached is not None:
            return cached
        row = s.get(SigningKey, kid)
        if row is None:
            return None
        if row.retired_at is not None and row.retired_at <= utcnow() - PUBLISHED_AFTER_RETIRE:
            return None
        key = RSAKey.import_key(dict(row.public_jwk))
        with self._lock:
            self._public[kid] = key
        return key

    def forget(self) -> None:
        """Drop cached keys (tests; after deleting keys by hand)."""
        with self._lock:
            self._private.clear()
            self._public.clear()

    def _create(self, s: Session) -> SigningKey:
        key = RSAKey.generate_key(2048, private=True, auto_kid=True)
        kid = key.kid
        assert kid is not None
        public = key.as_dict(private=False, alg=ALG, use="sig")
        public["kid"] = kid
        row = SigningKey(
            kid=kid,
            alg=ALG,
            private_key_enc=self._box.encrypt(key.as_pem(private=True).decode()),
            public_jwk=public,
        )
        s.add(row)
        s.flush()
        with self._lock:
            self._private[kid] = key
        return row

    def _decrypt(self, row: SigningKey) -> RSAKey:
        cached = self._private.get(row.kid)
        if cached is not None:
            return cached
        key = RSAKey.import_key(self._box.decrypt(row.private_key_enc), {"kid": row.kid})
        with self._lock:
            self._private[row.kid] = key
        return key

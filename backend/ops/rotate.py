"""``quickture-backend rotate-secret-key``: re-encrypt every stored secret under the newest key.

``QUICKTURE_SECRET_KEY`` (or ``<data dir>/secret.key``) may list several Fernet keys,
comma-separated, newest first; values decrypt with any of them and are encrypted with the
first. To retire a key: put a new one in front (``NEW,OLD``), restart, run this command, then
drop ``OLD``. Every stored secret (each connection's client secret, each signing key's private
half) is re-encrypted in one transaction: all of them or none.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.store.models import Connection, SigningKey
from backend.store.secretbox import SecretBox

__all__ = ["RotationResult", "rotate_secrets"]


@dataclass(frozen=True, slots=True)
class RotationResult:
    client_secrets: int
    signing_keys: int


def rotate_secrets(s: Session, box: SecretBox) -> RotationResult:
    """Re-encrypt each stored secret with ``box``'s newest key. Call inside ``rt.db.write()``.

    Raises ``SecretBoxError`` (and the transaction rolls back) if any value cannot be decrypted
    with the configured keys.
    """
    secrets_done = 0
    for conn in s.scalars(
        sa.select(Connection).where(Connection.client_secret_enc.is_not(None)).with_for_update()
    ):
        assert conn.client_secret_enc is not None
        conn.client_secret_enc = _rotate(box, conn.client_secret_enc)
        secrets_done += 1
    keys_done = 0
    for key in s.scalars(sa.select(SigningKey).with_for_update()):
        key.private_key_enc = _rotate(box, key.private_key_enc)
        keys_done += 1
    s.flush()
    return RotationResult(client_secrets=secrets_done, signing_keys=keys_done)


def _rotate(box: SecretBox, value: str) -> str:
    box.decrypt(value)  # a clear SecretBoxError if no configured key opens it
    return box.rotate(value)

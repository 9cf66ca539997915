from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.oauth.keys import PUBLISHED_AFTER_RETIRE, KeyStore
from backend.store.models import SigningKey
from backend.store.models.base import utcnow


def test_first_key_is_made_on_demand_and_encrypted(runtime):
    keys = KeyStore(runtime.box)
    with runtime.db.write() as s:
        key = keys.current(s)
    with runtime.db.read() as s:
        row = s.get(SigningKey, key.kid)
        assert "PRIVATE KEY" not in row.private_key_enc
        assert "d" not in row.public_jwk and row.public_jwk["kid"] == key.kid


def test_another_process_uses_the_same_key(runtime):
    with runtime.db.write() as s:
        a = KeyStore(runtime.box).current(s)
    with runtime.db.write() as s:
        b = KeyStore(runtime.box).current(s)
    assert a.kid == b.kid


def test_rotation_publishes_both_until_the_old_expires(runtime):
    keys = KeyStore(runtime.box)
    with runtime.db.write() as s:
        old = keys.current(s).kid
        new = keys.rotate(s)
        assert keys.current(s).kid == new
        assert {k["kid"] for k in keys.published(s)["keys"]} == {old, new}
        s.execute(
            sa.update(SigningKey)
            .where(SigningKey.kid == old)
            .values(retired_at=utcnow() - PUBLISHED_AFTER_RETIRE - timedelta(seconds=1))
        )
    fresh = KeyStore(runtime.box)
    with runtime.db.read() as s:
        assert {k["kid"] for k in fresh.published(s)["keys"]} == {new}
        assert fresh.public_key(s, old) is None
        assert fresh.public_key(s, new) is not None
